import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../image/cache.js';

/** Where running labs keep their files: `<root>/<labId>/…`. */
export function labsRoot(): string {
  return resolve(process.env.DRBDLAB_STATE ?? join(PROJECT_ROOT, '.lab'));
}

export function labPaths(labId: string) {
  const dir = join(labsRoot(), labId);
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
    consoleLog: (node: string) => join(dir, 'nodes', node, 'console.log'),
    transcript: join(dir, 'transcript'),
  };
}
