import { describe, expect, it } from 'vitest';
import { kernelOrigin, parseAptPolicyOrigins } from './apt-policy.js';

// apt 2.6 (Debian 12) output, in the shape it prints for an installed package whose version sits in
// more than one suite, one only in security, and one from no archive.
const POLICY = `linux-image-6.1.0-41-cloud-amd64:
  Installed: 6.1.158-1
  Candidate: 6.1.158-1
  Version table:
 *** 6.1.158-1 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
        100 /var/lib/dpkg/status
drbd-utils:
  Installed: 9.22.0-1
  Candidate: 9.22.0-1
  Version table:
 *** 9.22.0-1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
systemd:
  Installed: 252.39-1~deb12u1
  Candidate: 252.39-1~deb12u1
  Version table:
 *** 252.39-1~deb12u1 500
        500 http://deb.debian.org/debian bookworm-updates/main amd64 Packages
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
     252.38-1~deb12u1 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
drbdlab-canary:
  Installed: 2.0
  Candidate: 2.0
  Version table:
 *** 2.0 100
        100 /var/lib/dpkg/status
drbdlab-flat:
  Installed: 1.1
  Candidate: 1.1
  Version table:
 *** 1.1 500
        500 http://127.0.0.1:8080 ./ Packages
        100 /var/lib/dpkg/status
lvm2:
  Installed: (none)
  Candidate: 2.03.16-2
  Version table:
     2.03.16-2 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
`;

describe('where each installed package came from (apt-cache policy)', () => {
  it('names the suite of the installed version, the first listed where several carry it', () => {
    expect(parseAptPolicyOrigins(POLICY)).toEqual({
      'linux-image-6.1.0-41-cloud-amd64': 'bookworm-security',
      'drbd-utils': 'bookworm',
      systemd: 'bookworm-updates',
      'drbdlab-canary': 'local',
      'drbdlab-flat': 'http://127.0.0.1:8080 ./',
    });
  });

  it('a version that is not the installed one does not lend its suite', () => {
    const onlyOlderInSecurity = POLICY.split('drbdlab-canary:')[0]!;
    expect(parseAptPolicyOrigins(onlyOlderInSecurity).systemd).not.toBe('bookworm-security');
  });
});

// A variant's image: drbd-utils newer in bookworm-proposed-updates (priority 500, as bookworm's),
// the kernel from bookworm-backports (NotAutomatic, 100; pinned to 500 for this package).
const VARIANT_POLICY = `drbd-utils:
  Installed: 9.22.0-1+deb12u1
  Candidate: 9.22.0-1+deb12u1
  Version table:
 *** 9.22.0-1+deb12u1 500
        500 http://deb.debian.org/debian bookworm-proposed-updates/main amd64 Packages
        100 /var/lib/dpkg/status
     9.22.0-1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-cloud-amd64:
  Installed: 6.12.95-1~bpo12+1
  Candidate: 6.12.95-1~bpo12+1
  Version table:
 *** 6.12.95-1~bpo12+1 500
        100 http://deb.debian.org/debian bookworm-backports/main amd64 Packages
        100 /var/lib/dpkg/status
     6.1.158-1 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
`;

describe('a variant\'s origins (the versions table\'s "from")', () => {
  it('names bookworm-proposed-updates and bookworm-backports for what came from there', () => {
    expect(parseAptPolicyOrigins(VARIANT_POLICY)).toEqual({ 'drbd-utils': 'bookworm-proposed-updates', 'linux-image-cloud-amd64': 'bookworm-backports' });
  });
});

describe('the kernel\'s origin', () => {
  it('is the booted kernel package\'s, under `kernel`; older kernel packages are left out', () => {
    const origins = { 'linux-image-6.1.0-40-cloud-amd64': 'bookworm', 'linux-image-6.1.0-41-cloud-amd64': 'bookworm-security', 'linux-image-cloud-amd64': 'bookworm-security', 'drbd-utils': 'bookworm' };
    expect(kernelOrigin(origins, 'linux-image-6.1.0-41-cloud-amd64')).toEqual({ 'linux-image-cloud-amd64': 'bookworm-security', 'drbd-utils': 'bookworm', kernel: 'bookworm-security' });
  });
});
