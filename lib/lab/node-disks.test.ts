import { describe, expect, it } from 'vitest';
import { nodeDataDiskArgs } from './node-disks.js';

describe('nodeDataDiskArgs', () => {
  it("is a copy-on-write overlay on the template's data disk when the image has one", () => {
    expect(nodeDataDiskArgs({ dataDisk: '/cache/images/ubuntu1804-drbd9-0123/data.qcow2' }, '/labs/x/drbd1/data.qcow2', 4)).toEqual([
      'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', '/cache/images/ubuntu1804-drbd9-0123/data.qcow2', '/labs/x/drbd1/data.qcow2',
    ]);
  });

  it('names the backing file by its absolute path (qemu-img reads a relative one from the overlay\'s folder)', () => {
    const args = nodeDataDiskArgs({ dataDisk: 'rel/data.qcow2' }, '/labs/x/drbd1/data.qcow2', 4);
    expect(args[args.indexOf('-b') + 1]).toBe(`${process.cwd()}/rel/data.qcow2`);
  });

  it("is a blank disk of the lab's size when the image has none (debian12-drbd84)", () => {
    expect(nodeDataDiskArgs({}, '/labs/x/drbd1/data.qcow2', 4)).toEqual(['create', '-q', '-f', 'qcow2', '/labs/x/drbd1/data.qcow2', '4096M']);
  });
});
