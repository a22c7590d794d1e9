// The node-output readers on what the captures do not show: systemd 237's wording (the blog's
// steps.md step 24, Ubuntu 18.04) and malformed input. The captured forms (systemd 252, lvm2
// 2.03, mke2fs 1.47) are read in drbdmanage-captures.test.ts.
import { describe, expect, it } from 'vitest';
import {
  createdSymlinks, parseIsEnabled, parseKeyValues, parseLvmReports, parseLvmSize, parseMkfs, parseProcesses, parseSystemctlStatus, parseUnitFiles,
} from './drbdmanage-node-outputs.js';

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

// systemd 252's other bullets and states, as `systemctl status` prints them (constructed from
// systemd's own wording: ○ inactive, × failed, * without a UTF-8 locale).
describe('systemctl status: the other shapes', () => {
  it('a failed unit (×): no preset, Active up to its reason, no main PID, the journal after the blank line', () => {
    const text = [
      '× drbdmanaged.service - DRBDmanage Service',
      '     Loaded: loaded (/lib/systemd/system/drbdmanaged.service; static)',
      '     Active: failed (Result: exit-code) since Mon 2026-12-07 00:04:07 UTC; 3s ago',
      '    Process: 301 ExecStart=/usr/bin/dbus-drbdmanaged-service (code=exited, status=1/FAILURE)',
      '   Main PID: 301 (code=exited, status=1/FAILURE)',
      '',
      'Dec 07 00:04:07 drbd1 systemd[1]: Started drbdmanaged.service.',
      '',
      'Dec 07 00:04:07 drbd1 systemd[1]: drbdmanaged.service: Failed with result \'exit-code\'.',
    ].join('\n');
    expect(parseSystemctlStatus(text)).toEqual({
      unit: 'drbdmanaged.service',
      description: 'DRBDmanage Service',
      loaded: 'loaded (/lib/systemd/system/drbdmanaged.service; static)',
      unitFile: { path: '/lib/systemd/system/drbdmanaged.service', enablement: 'static', preset: null },
      active: 'failed (Result: exit-code)',
      mainPid: 301,
      journal: ['Dec 07 00:04:07 drbd1 systemd[1]: Started drbdmanaged.service.', "Dec 07 00:04:07 drbd1 systemd[1]: drbdmanaged.service: Failed with result 'exit-code'."],
    });
  });

  it('no journal without a blank line after the fields', () => {
    expect(parseSystemctlStatus('● a.service - A\n   Loaded: loaded (/lib/a.service; enabled)\n   Active: active (running)\n   Main PID: 7 (a)').journal).toEqual([]);
  });

  it('○ and * bullets; a masked unit has no unit file part; an Active without parentheses', () => {
    const masked = parseSystemctlStatus('○ drbd.service\u0020-\u0020DRBD\n     Loaded: masked (Reason: Unit drbd.service is masked.)\n     Active: inactive\n');
    expect(masked).toMatchObject({ unit: 'drbd.service', description: 'DRBD', unitFile: null, active: 'inactive', mainPid: null, journal: [] });
    expect(parseSystemctlStatus('* drbd.service - DRBD\n   Loaded: not-found (Reason: No such file or directory)\n   Active: inactive (dead)\n')).toMatchObject({
      unit: 'drbd.service',
      loaded: 'not-found (Reason: No such file or directory)',
      unitFile: null,
      active: 'inactive (dead)',
    });
  });

  it('refuses a status without Loaded: or Active:, and a unit line with another bullet or none', () => {
    expect(() => parseSystemctlStatus('● drbd.service - DRBD\n   Active: inactive (dead)\n')).toThrow(/^systemctl-status: no Loaded: or Active: line/u);
    expect(() => parseSystemctlStatus('● drbd.service - DRBD\n   Active: inactive (dead)')).toThrow(expect.objectContaining({ line: '● drbd.service - DRBD\n   Active: inactive (dead)' }));
    expect(() => parseSystemctlStatus('● drbd.service - DRBD\n   Loaded: loaded (/lib/systemd/system/drbd.service; disabled)\n')).toThrow(/no Loaded: or Active: line/u);
    expect(() => parseSystemctlStatus('# drbd.service - DRBD\n   Loaded: x\n   Active: y\n')).toThrow(/expected "● unit - description" at line 1: "# drbd.service/u);
    expect(() => parseSystemctlStatus('x ● drbd.service - DRBD\n   Loaded: x\n   Active: y\n')).toThrow(/expected "● unit - description"/u);
    expect(() => parseSystemctlStatus('')).toThrow(/expected "● unit - description" at line 1: ""/u);
    // `Loaded:` must be a field of its own, not words in a description.
    expect(() => parseSystemctlStatus('● a.service - Loaded: x\n   Active: y\n')).toThrow(/no Loaded: or Active: line/u);
  });
});

describe('systemctl list-unit-files, is-enabled, enable', () => {
  it('skips blank lines, the header and the footer only; a row of one word or four is refused', () => {
    expect(parseUnitFiles('\n2 unit files listed.\nUNIT FILE\u0020\u0020STATE PRESET\na.service enabled enabled\n')).toEqual([{ unit: 'a.service', state: 'enabled', preset: 'enabled' }]);
    expect(() => parseUnitFiles('a.service\n')).toThrow(/^systemctl-list-unit-files: expected "unit state \[preset\]" at line: "a.service"$/u);
    expect(() => parseUnitFiles('a.service enabled enabled extra\n')).toThrow(/expected "unit state \[preset\]"/u);
    expect(() => parseUnitFiles('UNIT FILES are these\n')).toThrow(/expected "unit state \[preset\]"/u);
    expect(() => parseUnitFiles('12 unit files listed. Done\n')).toThrow(/expected "unit state \[preset\]"/u);
    expect(() => parseUnitFiles('in all 2 unit files listed.\n')).toThrow(/expected "unit state \[preset\]"/u);
    expect(parseUnitFiles('  a.service   static  -\n\n312 unit files listed.\n')).toEqual([{ unit: 'a.service', state: 'static', preset: '-' }]);
  });

  it('is-enabled: one trimmed answer per unit, blank lines dropped', () => {
    expect(parseIsEnabled('\n enabled \n\nmasked\n')).toEqual(['enabled', 'masked']);
  });

  it('enable: one entry per symlink line, other lines ignored, the arrow and the final dot required', () => {
    const stderr = [
      'Created symlink /etc/a.wants/x.service → /lib/x.service.',
      'Synchronizing state of x.service with SysV service script.',
      '  Created symlink /etc/b.wants/y.service -> /lib/y.service.',
      'Created symlink /etc/c.wants/z.service → /lib/z.service',
      'Created symlink /etc/d.wants/z.service => /lib/z.service.',
      'Removed symlink /etc/e.wants/z.service → /lib/z.service.',
      'Not Created symlink /etc/f.wants/z.service → /lib/z.service.',
    ].join('\n');
    expect(createdSymlinks(stderr)).toEqual([
      { link: '/etc/a.wants/x.service', target: '/lib/x.service' },
      { link: '/etc/b.wants/y.service', target: '/lib/y.service' },
    ]);
  });
});

describe('ps, key=value files', () => {
  it('ps: rows with ppid and lstart, plain rows, padded pids, blank lines', () => {
    expect(parseProcesses('  202     1 Mon Dec  7 00:04:07 2026 /usr/bin/dbus-daemon --system\n\n 506 /usr/bin/python2 /usr/bin/dbus-drbdmanaged-service\n')).toEqual([
      { pid: 202, ppid: 1, args: '/usr/bin/dbus-daemon --system' },
      { pid: 506, ppid: null, args: '/usr/bin/python2 /usr/bin/dbus-drbdmanaged-service' },
    ]);
    expect(() => parseProcesses('506\n')).toThrow(/^ps: expected "pid \[ppid lstart\] args" at line: "506"$/u);
    // A parent with a long pid, a two-digit day, ps's padding between the columns.
    expect(parseProcesses('2202  1234  Thu Dec 17 10:04:07 2026 python3 /usr/bin/x\n')).toEqual([{ pid: 2202, ppid: 1234, args: 'python3 /usr/bin/x' }]);
    expect(() => parseProcesses('x 202 1 Mon Dec  7 00:04:07 2026 /usr/bin/dbus-daemon\n')).toThrow(/expected "pid \[ppid lstart\] args"/u);
  });

  it('key=value: sections and comments skipped, the last value wins, a value may hold "="; a line without a key is refused at its line', () => {
    expect(parseKeyValues('# comment\n[D-BUS Service]\n\nName=a\nExec=/usr/bin/x --opt=1\nName=b\n')).toEqual({ Name: 'b', Exec: '/usr/bin/x --opt=1' });
    expect(() => parseKeyValues('[s]\n=x\n')).toThrow(/^key-values: expected key=value at line 2: "=x"$/u);
    expect(parseKeyValues('  Name=a\n\t# indented comment\n  [s]\n')).toEqual({ Name: 'a' });
  });
});

describe('lvm reports, sizes, mkfs', () => {
  it('one table per header; rows with blank trailing columns map the words present', () => {
    const text = [
      '  VG       #PV #LV #SN Attr   VSize  VFree',
      '  drbdpool   1   1   0 wz--n- <2.00g 1.50g',
      '',
      '  LV       VG       Attr       LSize   Pool Origin',
      '  r0_00    drbdpool -wi-ao---- 480.00m',
    ].join('\n');
    expect(parseLvmReports(text)).toEqual([
      [{ VG: 'drbdpool', '#PV': '1', '#LV': '1', '#SN': '0', Attr: 'wz--n-', VSize: '<2.00g', VFree: '1.50g' }],
      [{ LV: 'r0_00', VG: 'drbdpool', Attr: '-wi-ao----', LSize: '480.00m' }],
    ]);
    expect(parseLvmReports('')).toEqual([]);
  });

  it('refuses a row before any header and a row longer than its header', () => {
    expect(() => parseLvmReports('  drbdpool 1 0 0\n')).toThrow(/^lvm-report: row before any header at line 1: " {2}drbdpool 1 0 0"$/u);
    expect(() => parseLvmReports('  PV VG\n\n  /dev/vdb1 drbdpool lvm2\n')).toThrow(/^lvm-report: row has 3 columns, header 2 at line 3/u);
  });

  it('sizes in each unit lvm2 picks; precision from the decimals printed', () => {
    expect(parseLvmSize('512.00k')).toEqual({ mib: 0.5, roundedUp: false, precisionMiB: 1 / 1024 / 100 });
    expect(parseLvmSize(' 2g ')).toEqual({ mib: 2048, roundedUp: false, precisionMiB: 1024 });
    expect(parseLvmSize('1.5t')).toEqual({ mib: 1.5 * 1024 * 1024, roundedUp: false, precisionMiB: 1024 * 1024 / 10 });
    for (const bad of ['2.00G', '2.00gb', '<<2.00g', 'x2.00g', '2.g', '.5g']) expect(() => parseLvmSize(bad), bad).toThrow(/^lvm-size: expected a size such as <2\.00g/u);
  });

  it('mkfs: null when mke2fs made nothing', () => {
    expect(parseMkfs('mke2fs 1.47.0 (5-Feb-2023)\nThe file /dev/drbd100 does not exist and no size was specified.\n')).toBeNull();
    expect(parseMkfs('Creating filesystem with 262144 4k blocks and 65536 inodes\n')).toEqual({ blocks: 262144, blockKiB: 4 });
  });
});
