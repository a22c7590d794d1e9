import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { libvirtSaveImage } from './fake-libvirt.js';
import { copyRetargeted, retargetXml, SaveImageError } from './save-image.js';

const from = { name: 'drbdlab-aaaaaa-drbd1', uuid: '4fae32d8-0fab-4ca6-8276-55c085b26fb3' };
const to = { name: 'drbdlab-bbbbbb-drbd1', uuid: '11111111-2222-4333-8444-555555555555' };
const xml = `<domain type='qemu'>\n  <name>${from.name}</name>\n  <uuid>${from.uuid}</uuid>\n  <title>x</title>\n</domain>\n\0<cookie/>\0`;

describe('save image retargeting', () => {
  it('rewrites name and uuid in place and leaves the QEMU stream where it was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'save-'));
    try {
      const src = join(dir, 'a.save');
      const image = libvirtSaveImage(xml, 'QEVM-stream-bytes');
      await writeFile(src, image);
      await copyRetargeted(src, join(dir, 'b.save'), from, to);
      const out = await readFile(join(dir, 'b.save'));
      expect(out.length).toBe(image.length);
      const text = out.toString('latin1');
      expect(text).toContain(`<name>${to.name}</name>`);
      expect(text).toContain(`<uuid>${to.uuid}</uuid>`);
      expect(text).not.toContain(from.uuid);
      expect(text.endsWith('QEVM-stream-bytes')).toBe(true);
      // The source stays as it was: it is the cached snapshot.
      expect((await readFile(src)).equals(image)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a name of another length rather than shift the stream', () => {
    expect(() => retargetXml(Buffer.from(xml, 'latin1'), from, { ...to, name: 'drbdlab-bbbbbb-node1x' })).toThrow(SaveImageError);
  });

  it('refuses a file that is not a save image', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'save-'));
    try {
      await writeFile(join(dir, 'x'), Buffer.alloc(200));
      await expect(copyRetargeted(join(dir, 'x'), join(dir, 'y'), from, to)).rejects.toThrow(/bad magic/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
