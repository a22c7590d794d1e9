import { HostCommandError } from '../errors.js';

/** What went wrong, as far as the error text of libvirt tells. */
export type VirshFailure =
  | 'not-found'
  | 'already-exists'
  | 'not-running'
  | 'daemon-down'
  | 'port-in-use'
  | 'permission'
  | 'storage-access'
  | 'other';

export class VirshError extends HostCommandError {
  constructor(
    base: HostCommandError,
    readonly failure: VirshFailure,
  ) {
    super(base.command, base.exitCode, base.stderr, base.stdout, { cause: base.cause, hint: hintFor(failure), timedOut: base.timedOut, canceled: base.canceled, signal: base.signal });
  }
}

/** Map libvirt's error text to a failure class the lab logic can act on. */
export function classifyVirshError(stderr: string): VirshFailure {
  const s = stderr.toLowerCase();
  if (/failed to get (domain|network)|domain not found|network not found|no (domain|network) with matching name|storage volume not found/.test(s)) return 'not-found';
  if (/already exists|already in use by|domain is already active|network is already active/.test(s)) return 'already-exists';
  if (/domain is not running|network is not active|not active/.test(s)) return 'not-running';
  // QEMU's user cannot reach a disk or seed: a folder on the way is closed to it.
  if (/cannot access storage file .*\(as uid:\d+/.test(s)) return 'storage-access';
  // Before daemon-down: a refused connect also starts "failed to connect to the hypervisor".
  if (/permission denied|access denied|authentication failed|authentication unavailable/.test(s)) return 'permission';
  if (/failed to connect (to )?(the )?(hypervisor|socket)|no such file or directory.*libvirt-sock|connection refused/.test(s)) return 'daemon-down';
  if (/could not set up host forwarding rule|address already in use/.test(s)) return 'port-in-use';
  return 'other';
}

function hintFor(f: VirshFailure): string | undefined {
  switch (f) {
    case 'daemon-down':
      return 'libvirtd is not running: run `bash scripts/host-setup.sh`';
    case 'port-in-use':
      return 'an SSH forward port is taken by another process; run `npm run lab -- up` again to pick new ports';
    case 'permission':
      return 'run as root or as a member of the libvirt group';
    case 'storage-access':
      return "libvirt's QEMU user cannot reach the file: every folder above it needs o+x (DRBDLAB_STATE / DRBDLAB_CACHE under a private folder?)";
    default:
      return undefined;
  }
}
