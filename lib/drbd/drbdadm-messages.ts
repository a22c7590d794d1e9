// What drbdadm (drbd-utils 9, both DRBD 8.4 and 9) prints when it refuses, as the scenarios assert it.

/** drbdadm_main.c: the config has no `on <this host>` section for the resource (exit 1, measured on drbd-utils 9.22). */
export const notDefinedForThisHost = (res: string) => `'${res}' not defined in your config (for this host).`;

// sudo resolves the host's own name through /etc/hosts; after a rename it is not there and sudo
// says so on stderr before running the command: a notice, not the command's output.
const SUDO_NOTICE = /^sudo: unable to resolve host \S+: /u;

/** stderr lines of a command run with sudo, without sudo's name-lookup notice. */
export function commandErrorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !SUDO_NOTICE.test(l));
}
