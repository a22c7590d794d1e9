import { LAB_XMLNS, type OwnerTag } from './domain-xml.js';

export interface LabMetadata {
  labId: string;
  node: string;
  dir?: string;
  owner?: OwnerTag;
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)=(["'])(.*?)\2/g)) out[m[1]!] = m[3]!.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return out;
}

/**
 * The drbdlab element of a domain's <metadata> (libvirt keeps our namespace, not necessarily
 * our prefix). Undefined for a domain that is not ours; no owner for a lab made before owners.
 */
export function parseLabMetadata(domainXml: string): LabMetadata | undefined {
  for (const m of domainXml.matchAll(/<([\w-]+):lab\b[^>]*>/g)) {
    const a = attributes(m[0]);
    if (a[`xmlns:${m[1]}`] !== LAB_XMLNS || !a.id) continue;
    const kind = a['owner-kind'];
    const owner: OwnerTag | undefined =
      (kind === 'user' || kind === 'process') && a['owner-pid'] && a['owner-start'] && a['owner-boot']
        ? { kind, pid: Number(a['owner-pid']), startTime: a['owner-start'], bootId: a['owner-boot'] }
        : undefined;
    return { labId: a.id, node: a.node ?? '', dir: a.dir, owner };
  }
  return undefined;
}
