// Where each installed package came from: `apt-cache policy` names, for the installed version
// (`***`), the archive suites that carry it. The versions table shows it, so a kernel from
// bookworm-security is told from the release's.

/** The policy command for these packages, run inside the image with its package lists present. */
export const aptPolicyArgs = (packages: readonly string[]) => ['apt-cache', 'policy', ...packages];

/**
 * Package → suite of its installed version (`bookworm-security`), from `apt-cache policy` output.
 * Several suites carry the same version after a point release: the first listed (apt's order,
 * highest priority) wins. Installed from no listed source (only `/var/lib/dpkg/status`): `local`.
 * Packages not installed are left out.
 */
export function parseAptPolicyOrigins(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let pkg: string | undefined;
  let inInstalled = false;
  for (const line of text.split('\n')) {
    const head = /^(\S+):$/u.exec(line);
    if (head) {
      pkg = head[1];
      inInstalled = false;
      continue;
    }
    if (!pkg) continue;
    const version = /^ (\*\*\*| {3}) \S+ -?\d+$/u.exec(line);
    if (version) {
      inInstalled = version[1] === '***';
      if (inInstalled) out[pkg] = 'local';
      continue;
    }
    if (!inInstalled || out[pkg] !== 'local') continue;
    const source = /^ +-?\d+ \S+ ([^/\s]+)\/\S+ \S+ Packages$/u.exec(line);
    // A flat repository (`deb URI ./`) has no suite: its URI and path name it.
    const flat = /^ +-?\d+ (\S+) (\S*\/) Packages$/u.exec(line);
    if (source) out[pkg] = source[1]!;
    else if (flat) out[pkg] = `${flat[1]} ${flat[2]}`;
  }
  return out;
}

/**
 * The booted kernel's package answers for `kernel` (the key the versions table uses); the
 * versioned kernel packages themselves (an upgrade keeps the old one installed) are left out.
 */
export function kernelOrigin(origins: Record<string, string>, kernelPackage: string): Record<string, string> {
  const out = Object.fromEntries(Object.entries(origins).filter(([p]) => !/^linux-image-\d/u.test(p)));
  const kernel = origins[kernelPackage];
  return kernel ? { ...out, kernel } : out;
}
