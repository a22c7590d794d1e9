// A libvirt save image (`virsh save`) starts with a header and the domain XML it was saved
// from; `virsh restore --xml` refuses an XML whose name or uuid differ from that one. Restoring
// one snapshot as many clusters at once (own names, own uuids) therefore rewrites them in a
// copy of the image. Names keep their length (drbdlab-<6 hex>-<node>), uuids always do, so the
// rewrite is in place and the QEMU stream after the header stays where libvirt expects it.
import { copyFile, open } from 'node:fs/promises';

const MAGIC = 'LibvirtQemudSave';
/** magic[16], then version, data_len, was_running, compressed, cookieOffset, unused[14] (uint32). */
const HEADER_BYTES = 16 + 4 * 19;

export class SaveImageError extends Error {}

export interface DomainIdentity {
  name: string;
  uuid: string;
}

function readHeader(head: Buffer): { version: number; dataLen: number } {
  if (head.subarray(0, 16).toString('latin1') !== MAGIC) throw new SaveImageError('not a libvirt save image (bad magic)');
  return { version: head.readUInt32LE(16), dataLen: head.readUInt32LE(20) };
}

/** The XML region with name and uuid replaced; same length, or an error. */
export function retargetXml(data: Buffer, from: DomainIdentity, to: DomainIdentity): Buffer {
  let s = data.toString('latin1');
  for (const [tag, a, b] of [
    ['name', from.name, to.name],
    ['uuid', from.uuid, to.uuid],
  ] as const) {
    const old = `<${tag}>${a}</${tag}>`;
    const neu = `<${tag}>${b}</${tag}>`;
    if (old.length !== neu.length) throw new SaveImageError(`cannot rewrite <${tag}> ${a} as ${b}: lengths differ`);
    const at = s.indexOf(old);
    // Only the domain's own <name>/<uuid> (the first); an XML without them is not ours.
    if (at < 0) throw new SaveImageError(`save image has no <${tag}>${a}</${tag}>`);
    s = s.slice(0, at) + neu + s.slice(at + old.length);
  }
  return Buffer.from(s, 'latin1');
}

/** Copy a save image and give the copy another domain name and uuid. */
export async function copyRetargeted(src: string, dst: string, from: DomainIdentity, to: DomainIdentity): Promise<void> {
  await copyFile(src, dst);
  const f = await open(dst, 'r+');
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    await f.read(head, 0, HEADER_BYTES, 0);
    const { dataLen } = readHeader(head);
    const data = Buffer.alloc(dataLen);
    await f.read(data, 0, dataLen, HEADER_BYTES);
    await f.write(retargetXml(data, from, to), 0, dataLen, HEADER_BYTES);
  } finally {
    await f.close();
  }
}
