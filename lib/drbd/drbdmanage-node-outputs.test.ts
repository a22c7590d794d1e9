// The node-output readers on what the captures do not show: systemd 237's wording (the blog's
// steps.md step 24, Ubuntu 18.04) and malformed input. The captured forms (systemd 252, lvm2
// 2.03, mke2fs 1.47) are read in drbdmanage-captures.test.ts.
import { describe, expect, it } from 'vitest';
import { createdSymlinks, parseKeyValues, parseLvmSize, parseProcesses, parseSystemctlStatus, parseUnitFiles } from './drbdmanage-node-outputs.js';

describe('systemd 237 as the blog prints it', () => {
  it('systemctl status drbd.service: "vendor preset", the bullet, inactive (steps.md step 24)', () => {
    const blog =
      '● drbd.service - DRBD -- please disable. Unless you are NOT using a cluster manager.\n' +
      '   Loaded: loaded (/lib/systemd/system/drbd.service; disabled; vendor preset: enabled)\n' +
      '   Active: inactive (dead)\n';
    expect(parseSystemctlStatus(blog)).toMatchObject({
      unit: 'drbd.service',
      unitFile: { path: '/lib/systemd/system/drbd.service', enablement: 'disabled', preset: 'enabled' },
      active: 'inactive (dead)',
      journal: [],
    });
  });

  it('list-unit-files without the preset column; the symlink line with "->" in a C locale', () => {
    expect(parseUnitFiles('UNIT FILE           STATE\ndrbd.service        disabled\ndrbdmanaged.service enabled\n\n2 unit files listed.\n')).toEqual([
      { unit: 'drbd.service', state: 'disabled', preset: null },
      { unit: 'drbdmanaged.service', state: 'enabled', preset: null },
    ]);
    expect(createdSymlinks('Created symlink /etc/systemd/system/multi-user.target.wants/drbdmanaged.service -> /lib/systemd/system/drbdmanaged.service.\n')).toEqual([
      { link: '/etc/systemd/system/multi-user.target.wants/drbdmanaged.service', target: '/lib/systemd/system/drbdmanaged.service' },
    ]);
  });
});

describe('refusals', () => {
  it('a status without its unit line, a ps row without a pid, a key without a value, a size without a unit', () => {
    expect(() => parseSystemctlStatus('Unit drbd.service could not be found.\n')).toThrow(/expected "● unit - description"/u);
    expect(() => parseProcesses('dbus-daemon --system\n')).toThrow(/expected "pid \[ppid lstart\] args"/u);
    expect(() => parseKeyValues('[D-BUS Service]\nName\n')).toThrow(/expected key=value/u);
    expect(() => parseLvmSize('2.00')).toThrow(/expected a size such as <2\.00g/u);
  });

  it('an exact lvm2 size is exact to its last decimal', () => {
    expect(parseLvmSize('480.00m')).toEqual({ mib: 480, roundedUp: false, precisionMiB: 0.01 });
  });
});
