import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** A lab's files under the labs folder (the run's Config.paths.state). */
export function labPaths(labs: string, labId: string) {
  const dir = join(labs, labId);
  return {
    dir,
    state: join(dir, 'state.json'),
    userKey: join(dir, 'keys', 'id_ed25519'),
    hostKey: (node: string) => join(dir, 'keys', `${node}_host_ed25519`),
    knownHosts: join(dir, 'keys', 'known_hosts'),
    networkXml: join(dir, 'network.xml'),
    nodeDir: (node: string) => join(dir, 'nodes', node),
    rootDisk: (node: string) => join(dir, 'nodes', node, 'root.qcow2'),
    dataDisk: (node: string) => join(dir, 'nodes', node, 'data.qcow2'),
    seedIso: (node: string) => join(dir, 'nodes', node, 'seed.iso'),
    domainXml: (node: string) => join(dir, 'nodes', node, 'domain.xml'),
    /** A restore's copy of the snapshot's memory image (removed once the node runs). */
    memory: (node: string) => join(dir, 'nodes', node, 'memory.save'),
    consoleLog: (node: string) => join(dir, 'nodes', node, 'console.log'),
    transcript: join(dir, 'transcript'),
  };
}

/**
 * libvirt's QEMU user must reach the disks and seeds under the labs folder: every folder on the
 * way needs o+x. A private folder (a 0700 mkdtemp, a home) would fail at `virsh start`.
 */
export async function ensureLabsRoot(root: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o711 });
  for (let dir = root; ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) {
      throw new UsageError(`${dir} is closed to libvirt's QEMU user (labs live in ${root}): run \`chmod o+x ${dir}\` or set DRBDLAB_STATE to another folder`);
    }
    if (dirname(dir) === dir) return root;
  }
}
