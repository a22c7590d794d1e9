// Every record of the captured drbdmanage 0.99.18 / DRBD 9.2.18 outputs (real programs run by
// hand on three Debian 12 guests: scenarios/recordings/captures/drbdmanage-0.99.18-drbd-9.2.18,
// README there) goes through the parser for what it is. A record no rule below claims fails its
// file's test: a capture added to the folder is read, or the test says which record is not.
// The second part holds expectations written from reading the captures (not from parser output).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureId, capturedCommandLine, parseCaptureFile, type CapturedCommand } from './drbdmanage-capture.js';
import { parseMachineReadableAssignments, parseMachineReadableNodes, parseMachineReadableVolumes } from './drbdmanage-machine-readable.js';
import {
  createdSymlinks,
  NO_DRBD_CONFIGURED,
  noResourcesForThisHost,
  parseIsEnabled,
  parseKeyValues,
  parseLvmReports,
  parseLvmSize,
  parseMkfs,
  parseProcesses,
  parseSystemctlStatus,
  parseUnitFiles,
} from './drbdmanage-node-outputs.js';
import { NOT_READY_ERRORS, onlyNotReady, parseDrbdmanageResult, parseJoinCommand } from './drbdmanage-result.js';
import { parseDrbdmanageTable, parseListAssignments, parseListNodes, parseListVolumes } from './drbdmanage-table.js';
import { parseDrbdsetupStatus, type DrbdResourceStatus } from './drbdsetup-status.js';
import { isDrbdParseError } from './errors.js';
import { events2ToStatus, parseEvents2 } from './events2.js';
import { drbdVersion, parseProcDrbd } from './proc-drbd.js';
import { parseResyncLog } from './resync-log.js';
import { isUpToDateEverywhere } from './state.js';

export const CAPTURES = join(import.meta.dirname, '../../scenarios/recordings/captures/drbdmanage-0.99.18-drbd-9.2.18');
const FILES = readdirSync(CAPTURES).filter((f) => f.endsWith('.jsonl')).sort();
const ALL = FILES.flatMap((f) => parseCaptureFile(f, readFileSync(join(CAPTURES, f), 'utf8')));
const byId = new Map(ALL.map((c) => [captureId(c), c]));
const at = (id: string): CapturedCommand => {
  const c = byId.get(id);
  if (!c) throw new Error(`no capture ${id}`);
  return c;
};

/** The command without the operator's remark and without a pty's `stty cols N rows M; `. */
const commandOf = (c: CapturedCommand) => capturedCommandLine(c).replace(/^stty cols \d+ rows \d+; /u, '');
/** Under a pty stdout and stderr arrive merged in stdout. */
const out = (c: CapturedCommand) => c.stdout;
const dm = (c: CapturedCommand) => parseDrbdmanageResult(c.stdout, c.stderr);

/** drbdmanage's stderr besides results: progress dots and dbus-python's log line while the server is busy. */
function expectOnlyBenignStderr(c: CapturedCommand): void {
  const unexpected = c.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Waiting for server: \.+$/u.test(l) && !/^ERROR:dbus\.proxies:Introspect error on :[\d.]+:\/interface: dbus\.exceptions\.DBusException: org\.freedesktop\.DBus\.Error\.NoReply: /u.test(l));
  expect(unexpected, `${captureId(c)}: stderr`).toEqual([]);
}

/** A listing: its table (or the empty-list text), plus nothing but benign stderr or drbdmanage's "not ready" errors. */
function readListing<T>(c: CapturedCommand, parse: (text: string) => T[]): T[] {
  const rows = parse(out(c));
  const result = dm(c);
  if (result.errors.length > 0) {
    expect(onlyNotReady(result), `${captureId(c)}: errors ${result.errors.join('; ')}`).toBe(true);
    expect(rows, `${captureId(c)}: no rows with a not-ready error`).toEqual([]);
  } else {
    expectOnlyBenignStderr(c);
  }
  expect(c.exit, `${captureId(c)}: exit`).toBe(0);
  return rows;
}

const statusOf = (c: CapturedCommand): DrbdResourceStatus[] => {
  const rs = parseDrbdsetupStatus(out(c));
  for (const r of rs) expect(r.role, `${captureId(c)}: ${r.name} role`).toMatch(/^(Primary|Secondary)$/u);
  return rs;
};

interface Rule {
  what: string;
  match: RegExp;
  read: (c: CapturedCommand) => void;
}

// The first rule whose pattern matches the command (remark and stty prefix dropped) reads the record.
const RULES: Rule[] = [
  // ---- drbdmanage listings
  { what: 'list-nodes -m', match: /^drbdmanage list-nodes -m\b/u, read: (c) => {
    for (const n of readListing(c, parseMachineReadableNodes)) {
      expect(n.address).toMatch(/^10\.255\.255\.10[123]$/u);
      expect(n.flags).toEqual(['drbdctrl', 'storage']);
    }
  } },
  { what: 'list-nodes table', match: /(?:^|; )drbdmanage (?:list-nodes|nodes)(?: --pastable| --show [\w ]+)?(?:;|$)/u, read: (c) => {
    const result = dm(c);
    if (result.errors.some((e) => e.startsWith('Error: Cannot connect to the drbdmanaged process using DBus'))) {
      // The D-Bus activation file moved away or dbus stopped (p5): no table, not a "not ready".
      expect(result.notReady).toEqual([]);
      expect(out(c)).toBe('');
      return;
    }
    for (const n of readListing(c, parseListNodes)) {
      expect(n.name).toMatch(/^drbd[123]$/u);
      expect([2044, null]).toContain(n.poolSizeMiB);
    }
  } },
  { what: 'list-volumes -m', match: /^drbdmanage list-volumes -m$/u, read: (c) => {
    for (const v of readListing(c, parseMachineReadableVolumes)) expect(v.minor).toBeGreaterThanOrEqual(100);
  } },
  { what: 'list-volumes table', match: /^drbdmanage list-volumes --show Port$/u, read: (c) => {
    for (const v of readListing(c, parseListVolumes)) expect(v.port).toBeGreaterThanOrEqual(7000);
  } },
  { what: 'list-assignments -m', match: /^drbdmanage list-assignments -m$/u, read: (c) => {
    for (const a of readListing(c, parseMachineReadableAssignments)) expect(a.currentFlags).toEqual(a.targetFlags);
  } },
  { what: 'list-assignments table', match: /^drbdmanage list-assignments(?: --nodes \S+)?$/u, read: (c) => {
    for (const a of readListing(c, parseListAssignments)) expect(a.node).toMatch(/^drbd[123]$/u);
  } },
  { what: 'list-resources table', match: /^drbdmanage list-resources$/u, read: (c) => {
    const t = parseDrbdmanageTable(out(c));
    if (t.headers.length > 0) expect(t.headers).toEqual(['Name', 'State']);
    expectOnlyBenignStderr(c);
  } },
  // ---- argparse: exit 2, usage and the error on stderr
  { what: 'argparse refusal', match: /^drbdmanage(?: nosuchcommand| list-nodes (?:nosuchnode|--bogus-option|--groupby Nope)| list-volumes --show NoSuchColumn| list-free-space)?$/u, read: (c) => {
    expect(c.exit).toBe(2);
    expect(c.stderr).toMatch(/^usage: drbdmanage/u);
    expect(dm(c).errors).toHaveLength(1);
    expect(dm(c).errors[0]).toMatch(/^drbdmanage(?: [\w-]+)?: error: /u);
  } },
  { what: 'help and version', match: /^drbdmanage (?:--help|-v|--version|list-nodes --help|quorum-control --help|list)$/u, read: (c) => {
    expect(c.exit).toBe(0);
    expect(dm(c)).toEqual({ ok: false, errors: [], notReady: [] });
    // py2 argparse prints the version on stderr.
    expect(`${c.stdout}${c.stderr}`).toMatch(/^usage: drbdmanage|^drbdmanage 0\.99\.18; GIT-hash: UNKNOWN$|^Use "help <command>"/mu);
  } },
  // ---- drbdmanage actions: the result is read from the text, exit 0 whatever happened
  { what: 'add-node / howto-join (join command)', match: /^drbdmanage (?:add-node|howto-join) /u, read: (c) => {
    const result = dm(c);
    if (result.ok) {
      const join = parseJoinCommand(c.stdout);
      expect(join.leaderName).toBe('drbd1');
    } else {
      expect(result.errors).toEqual(['Error: Object already exists']);
      expect(() => parseJoinCommand(c.stdout)).toThrow(/no "drbdmanage join" line/u);
    }
    expect(c.exit).toBe(0);
  } },
  { what: 'other drbdmanage actions', match: /^drbdmanage (?:init|join|add-resource|add-volume|deploy-resource|remove-resource|remove-node|remove-volume|assign-resource|unassign-resource|shutdown|ping|server-version)\b/u, read: (c) => {
    const result = dm(c);
    if (c.exit === 1) {
      expect(result.errors).toEqual(['Error: Cannot connect to the drbdmanaged process using DBus']);
      return;
    }
    expect(c.exit).toBe(0);
    // Answered "yes" or passed -q, or an error line; a prompt answered otherwise does nothing.
    const confirmed = c.stdin === 'yes\n' || /\s-q\b/u.test(c.cmd) || !/yes\/no: /u.test(c.stdout);
    if (!confirmed || /^drbdmanage (?:ping|shutdown)/u.test(c.cmd)) expect(result.ok).toBe(false);
    else expect(result.ok || result.errors.length > 0, `${captureId(c)}: neither success nor error`).toBe(true);
  } },
  // ---- DRBD state
  { what: 'drbdadm/drbdsetup status', match: /(?:^|; |&& )drbd(?:adm|setup) status(?: --verbose --statistics)?(?: [\w.]+)?$/u, read: (c) => {
    if (c.exit === 0) {
      statusOf(c);
      if (out(c).startsWith('#')) expect(out(c).trim()).toBe(NO_DRBD_CONFIGURED);
    } else if (c.exit === 10) expect(c.stderr.trim()).toMatch(/^\S+: No such resource$/u);
    else {
      expect(c.exit).toBe(1);
      expect(c.stderr.trim()).toMatch(/^'\S+' not defined in your config \(for this host\)\.$/u);
    }
  } },
  { what: 'events2 --now', match: /^drbdsetup events2 --now(?: \w+)?$/u, read: (c) => {
    const events = parseEvents2(out(c));
    expect(events.at(-1)).toMatchObject({ kind: 'initial-state-done' });
    for (const r of events2ToStatus(events)) expect(isUpToDateEverywhere(r) || r.peers.some((p) => p.connection === 'Connecting')).toBe(true);
  } },
  { what: '/proc/drbd', match: /(?:^|; )cat \/proc\/drbd(?:;|$)/u, read: (c) => {
    const proc = out(c).slice(out(c).indexOf('version:'));
    const text = proc.split('\n').slice(0, 3).join('\n');
    expect(parseProcDrbd(text)).toMatchObject({ api: '2', proto: '118-124', transports: [] });
    expect(drbdVersion(text)).toMatchObject({ major: 9, minor: 2, patch: 18 });
  } },
  { what: 'kernel log (dmesg | grep drbd)', match: /^dmesg \| grep -i drbd/u, read: (c) => {
    const text = out(c).replace(/^\[\s*\d+\.\d+\] /gmu, '');
    // Every line is the control volume's: per device (parseResyncLog's lines) or per connection.
    const deviceLines = new Set([...parseResyncLog(text, 0).lines, ...parseResyncLog(text, 1).lines]);
    for (const line of text.trim().split('\n')) expect(deviceLines.has(line) || /^drbd \.drbdctrl(?: drbd[123])?: /u.test(line), line).toBe(true);
  } },
  { what: 'drbdadm refusals', match: /^drbdadm (?:adjust|primary) /u, read: (c) => {
    if (c.exit === 0) expect(`${c.stdout}${c.stderr}`).toBe('');
    else if (c.exit === 11) expect(c.stderr).toMatch(/State change failed: \(-1\) Multiple primaries not allowed by config\n/u);
    else if (/adjust all/u.test(c.cmd)) expect(c.stderr.trim().split('\n')).toEqual(noResourcesForThisHost(c.hostname!));
    else expect(c.stderr.trim()).toMatch(/not defined in your config \(for this host\)\.$/u);
  } },
  { what: 'drbd-utils and kernel versions', match: /^(?:drbdadm --version|modinfo drbd \| head -12|uname -a|cat \/etc\/os-release|python2 --version|dpkg-query -W .*|hostnamectl)$/u, read: (c) => {
    expect(c.exit).toBe(0);
    expect(`${c.stdout}${c.stderr}`).toMatch(/DRBDADM_VERSION=9\.22\.0|version:\s+9\.2\.18|6\.1\.0-50-cloud-amd64|bookworm|Python 2\.7\.18|drbd-utils\t9\.22\.0-1|Static hostname: drbd[123]/u);
  } },
  // ---- systemd, D-Bus, processes
  { what: 'systemctl list-unit-files', match: /^systemctl list-unit-files \| grep -i drbd$/u, read: (c) => {
    const units = parseUnitFiles(out(c));
    expect(units.find((u) => u.unit === 'drbdmanaged.service')).toEqual({ unit: 'drbdmanaged.service', state: 'disabled', preset: 'enabled' });
  } },
  { what: 'systemctl is-enabled', match: /^systemctl is-enabled /u, read: (c) => {
    const answers = parseIsEnabled(out(c));
    expect(answers).toHaveLength(2);
    // systemd exits 0 when any of the units is enabled (p3 drbd2:7: enabled, disabled).
    expect(c.exit).toBe(answers.some((a) => a === 'enabled') ? 0 : 1);
  } },
  { what: 'systemctl status', match: /^systemctl status \S+ --no-pager/u, read: (c) => {
    const s = parseSystemctlStatus(out(c));
    expect(s.unitFile?.preset).toBe('enabled');
    expect(c.exit).toBe(s.active.startsWith('active') ? 0 : 3);
  } },
  { what: 'systemctl enable/disable/restart', match: /^systemctl (?:enable|disable|restart) /u, read: (c) => {
    expect(c.exit).toBe(0);
    if (/enable /u.test(c.cmd)) expect(createdSymlinks(c.stderr)).toHaveLength(1);
  } },
  { what: 'a reboot sent on the console', match: /^systemctl reboot$/u, read: (c) => {
    expect(c.exit).toBeNull();
    expect(c.note).toMatch(/sent raw on the serial console/u);
  } },
  { what: 'journal of drbdmanaged', match: /^journalctl .*-u drbdmanaged\.service/u, read: (c) => {
    expect(out(c)).toMatch(/drbdmanaged\[\d+\]: INFO {7}DRBDmanage server, version 0\.99\.18 -- initializing on node '[\w-]+'/u);
  } },
  { what: 'processes', match: /^ps -eo pid,(?:ppid,lstart,)?args \| grep/u, read: (c) => {
    expect(parseProcesses(out(c)).some((p) => p.args.startsWith('/usr/bin/dbus-daemon --system'))).toBe(true);
  } },
  { what: 'D-Bus names', match: /^busctl /u, read: (c) => {
    expect(out(c)).toMatch(/^org\.drbd\.drbdmanaged +\d+ dbus-drbdmanage root +:[\d.]+ +dbus\.service/mu);
  } },
  { what: 'unit and config files', match: /^cat \/(?:usr\/lib\/systemd|usr\/share\/dbus-1|usr\/lib\/modules-load\.d|etc\/hosts|var\/lib\/drbd\.d\/drbdmanage_r0\.res)|^cat \/var\/lib\/drbd\.d\/drbdmanage_global_common\.conf/u, read: (c) => {
    expect(c.exit).toBe(0);
    if (/\.service$/u.test(c.cmd) && !/res$/u.test(c.cmd)) expect(parseKeyValues(out(c))['ExecStart'] ?? parseKeyValues(out(c))['Exec']).toMatch(/^\/(?:lib|usr\/bin)\//u);
    else expect(out(c)).toMatch(/drbd/u);
  } },
  // ---- storage and file system
  { what: 'LVM reports', match: /^(?:vgs; pvs|lvs)$/u, read: (c) => {
    const tables = parseLvmReports(out(c));
    expect(tables.flat().every((row) => row['VG'] === 'drbdpool')).toBe(true);
    for (const row of tables.flat()) parseLvmSize(row['VSize'] ?? row['PSize'] ?? row['LSize']!);
  } },
  { what: 'LVM and fdisk setup', match: /^(?:pvcreate|vgcreate|fdisk|lsblk)\b/u, read: (c) => {
    if (c.exit === 3) expect(c.stderr).toMatch(/No command with matching syntax recognised\./u);
    else expect(c.exit).toBe(0);
  } },
  { what: 'mkfs', match: /^mkfs -t ext4 \/dev\/drbd\d+$/u, read: (c) => {
    expect(c.stderr).toMatch(/^mke2fs 1\.47\.0 \(5-Feb-2023\)\n/u);
    if (c.exit === 0) expect(parseMkfs(c.stdout)).not.toBeNull();
    else expect(c.stderr).toMatch(/does not exist and no size was specified\./u);
  } },
  { what: 'mount', match: /mount (?:-o ro )?\/dev\/drbd\d+ \/mnt\/r0(?: &&|$)/u, read: (c) => {
    if (c.exit === 0) expect(out(c)).toMatch(/^\/dev\/drbd101 /mu);
    else expect([c.exit, c.stderr]).toEqual([32, expect.stringMatching(/^mount: \/mnt\/r0: /u)]);
  } },
  // ---- the rest: what the operator looked at, read for what it shows
  { what: 'host names', match: /^(?:hostname|hostnamectl set-hostname \S+; hostname(?:; uname -n)?)$/u, read: (c) => {
    const names = out(c).trim().split('\n');
    expect(names.every((n) => n === names[0])).toBe(true);
    // `hostname` is what the record's hostname field holds (taken before a rename in the same line).
    if (c.cmd === 'hostname') expect(names[0]).toBe(c.hostname);
    else expect(names[0]).toBe(/set-hostname (\S+);/u.exec(c.cmd)![1]);
  } },
  { what: 'smoke test and listings', match: /^(?:ping |ls -la \/dev\/drbd\*|mv \/root\/org|cp \/etc\/drbdmanaged\.cfg)/u, read: (c) => {
    expect(out(c)).not.toBe('');
  } },
];

describe('every capture is read', () => {
  it('the folder holds the README and the 359 records it announces', () => {
    expect(readFileSync(join(CAPTURES, 'README.md'), 'utf8')).toMatch(/359 records in total\./u);
    expect(ALL).toHaveLength(359);
  });

  for (const file of FILES) {
    it(file, () => {
      const unread: string[] = [];
      for (const c of ALL.filter((x) => x.file === file)) {
        const rule = RULES.find((r) => r.match.test(commandOf(c)));
        if (!rule) {
          unread.push(`${captureId(c)} ${c.cmd}`);
          continue;
        }
        try {
          rule.read(c);
        } catch (err) {
          throw new Error(`${captureId(c)} (${rule.what}): ${c.cmd}\n${(err as Error).message}`, { cause: err });
        }
      }
      expect(unread, 'records no rule reads').toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Expectations from reading the captures

describe('drbdmanage tables as printed (ANSI colours, padded to the terminal width)', () => {
  it('list-nodes after init: drbd1 ok, 2044 MiB pool, 2036 free (p2 drbd1:6, 110 columns, coloured)', () => {
    const c = at('p2-cluster-setup__drbd1.jsonl:6');
    expect(c.stdout).toContain('\u001b[0;36mdrbd1\u001b[0m');
    expect(c.stdout.split('\n')[0]).toHaveLength(110);
    expect(parseListNodes(c.stdout).map(({ name, poolSizeMiB, poolFreeMiB, state, ok }) => ({ name, poolSizeMiB, poolFreeMiB, state, ok }))).toEqual([
      { name: 'drbd1', poolSizeMiB: 2044, poolFreeMiB: 2036, state: 'ok', ok: true },
    ]);
  });

  it('list-nodes between add-node and join: drbd2 unknown, offline, pending adjust connections (p2 drbd1:13)', () => {
    const nodes = parseListNodes(at('p2-cluster-setup__drbd1.jsonl:13').stdout);
    expect(nodes.map((n) => [n.name, n.poolSizeMiB, n.ok, n.stateFlags, n.pendingActions])).toEqual([
      ['drbd1', 2044, false, ['online/quorum vote ignored'], []],
      ['drbd2', null, false, ['offline/quorum vote ignored'], ['adjust connections']],
    ]);
  });

  it('the same table through a pty at 0 columns is the narrowest one, lines end in CR LF (p2 drbd1:9)', () => {
    const c = at('p2-cluster-setup__drbd1.jsonl:9');
    expect(c.stdout).toContain('\r\n');
    expect(parseListNodes(c.stdout).map((n) => [n.name, n.poolSizeMiB, n.poolFreeMiB, n.state])).toEqual([['drbd1', 2044, 2036, 'ok']]);
  });

  it('a node offline to its peer after the .drbdctrl authentication race: OFFLINE in bold red (p2 drbd3:3)', () => {
    const c = at('p2-cluster-setup__drbd3.jsonl:3');
    expect(c.stdout).toContain('\u001b[1;31mOFFLINE\u001b[0m');
    expect(parseListNodes(c.stdout).map((n) => `${n.name}:${n.state}`)).toEqual(['drbd1:ok', 'drbd2:OFFLINE', 'drbd3:ok']);
  });

  it('no tty at all: 80 columns (p6 drbd1:1); --pastable: 78, no colour (p6 drbd1:9); --show columns (p6 drbd1:11)', () => {
    expect(at('p6-table-width__drbd1.jsonl:1').stdout.split('\n')[0]).toHaveLength(80);
    const pastable = at('p6-table-width__drbd1.jsonl:9').stdout;
    expect(pastable.split('\n')[0]).toHaveLength(78);
    expect(pastable).not.toContain('\u001b[');
    expect(parseListNodes(at('p6-table-width__drbd1.jsonl:11').stdout).map((n) => [n.name, n.columns['IP'], n.columns['Family'], n.columns['Site']])).toEqual([
      ['drbd1', '10.255.255.101', 'ipv4', 'N/A'],
      ['drbd2', '10.255.255.102', 'ipv4', 'N/A'],
      ['drbd3', '10.255.255.103', 'ipv4', 'N/A'],
    ]);
  });

  it('list-volumes --show Port: r0 without volumes, then 40GB as 37.25 GiB on minor 100 (p2 drbd1:25, :28)', () => {
    expect(parseListVolumes(at('p2-cluster-setup__drbd1.jsonl:25').stdout).map((v) => [v.resource, v.volumeId, v.size, v.minor, v.port, v.state])).toEqual([['r0', null, null, null, 7000, '*']]);
    expect(parseListVolumes(at('p2-cluster-setup__drbd1.jsonl:28').stdout).map((v) => [v.resource, v.volumeId, v.size, v.minor, v.port, v.ok])).toEqual([['r0', 0, '37.25 GiB', 100, 7000, true]]);
  });

  it('after remove-resource and add-volume r0 500MB: 476.84 MiB on minor 101, 100 not reused (p2 drbd1:40)', () => {
    expect(parseListVolumes(at('p2-cluster-setup__drbd1.jsonl:40').stdout).map((v) => [v.resource, v.volumeId, v.size, v.minor, v.port, v.ok])).toEqual([['r0', 0, '476.84 MiB', 101, 7000, true]]);
  });

  it('list-assignments after deploy: r0 ok on the three nodes, dbus noise on stderr (p2 drbd1:43)', () => {
    const c = at('p2-cluster-setup__drbd1.jsonl:43');
    expect(parseListAssignments(c.stdout).map((a) => [a.node, a.resource, a.volumeId, a.state])).toEqual([
      ['drbd1', 'r0', null, 'ok'],
      ['drbd2', 'r0', null, 'ok'],
      ['drbd3', 'r0', null, 'ok'],
    ]);
    expect(dm(c)).toEqual({ ok: false, errors: [], notReady: [] });
    expect(c.stderr).toMatch(/^ERROR:dbus\.proxies:Introspect error/u);
  });

  it('a volume pending on the renamed node: per-volume row with its pending actions (p4 drbd1:4)', () => {
    const rows = parseListAssignments(at('p4-hostname-pitfall__drbd1.jsonl:4').stdout);
    expect(rows.filter((a) => !a.ok).map((a) => [a.node, a.resource, a.volumeId, a.pendingActions])).toEqual([['drbd3', 'r1', 1, ['commission', 'attach']]]);
  });

  it('an empty list is the sentence drbdmanage prints instead (p2 drbd1:29, :36)', () => {
    expect(parseListAssignments(at('p2-cluster-setup__drbd1.jsonl:29').stdout)).toEqual([]);
    expect(at('p2-cluster-setup__drbd1.jsonl:36').stdout).toBe('No resources defined\n');
    expect(parseDrbdmanageTable(at('p2-cluster-setup__drbd1.jsonl:36').stdout)).toEqual({ headers: [], rows: [] });
  });
});

describe('-m machine-readable listings', () => {
  it('list-nodes -m: sizes in KiB, flags drbdctrl|storage, site N/A (p2 drbd1:18)', () => {
    expect(parseMachineReadableNodes(at('p2-cluster-setup__drbd1.jsonl:18').stdout)).toEqual(
      ['101', '102', '103'].map((x, i) => ({
        name: `drbd${i + 1}`, addressFamily: 'ipv4', address: `10.255.255.${x}`, poolSizeKiB: 2093056, poolFreeKiB: 2084864, flags: ['drbdctrl', 'storage'], site: null,
      })),
    );
  });

  it('list-volumes -m: empty flag fields; 500MB = 488282 KiB (p2 drbd1:65)', () => {
    expect(parseMachineReadableVolumes(at('p2-cluster-setup__drbd1.jsonl:65').stdout)).toEqual([
      { resource: 'r0', resourceFlags: [], volumeId: 0, sizeKiB: 488282, port: 7000, minor: 101, volumeFlags: [] },
      { resource: 'r1', resourceFlags: [], volumeId: 0, sizeKiB: 585938, port: 7001, minor: 102, volumeFlags: [] },
    ]);
  });

  it('list-assignments -m: node ids in the order drbdmanage gave them (p2 drbd1:45)', () => {
    expect(parseMachineReadableAssignments(at('p2-cluster-setup__drbd1.jsonl:45').stdout).map((a) => [a.node, a.nodeId, a.currentFlags])).toEqual([
      ['drbd1', 0, ['connect', 'deploy']],
      ['drbd3', 1, ['connect', 'deploy']],
      ['drbd2', 2, ['connect', 'deploy']],
    ]);
  });
});

describe('result lines: on stderr, exit 0 for server errors', () => {
  it('init answered yes: the two control volumes, then the result on stderr (p2 drbd1:4)', () => {
    const c = at('p2-cluster-setup__drbd1.jsonl:4');
    expect([c.exit, c.stdin, c.stderr]).toEqual([0, 'yes\n', 'Waiting for server: .\nOperation completed successfully\n']);
    expect(c.stdout).toMatch(/yes\/no: Empty drbdmanage control volume initialized on '\/dev\/drbd0'\.\nEmpty drbdmanage control volume initialized on '\/dev\/drbd1'\.\n$/u);
    expect(dm(c)).toEqual({ ok: true, errors: [], notReady: [] });
  });

  it('add-node: "Host key verification failed." among four success lines; the join line on stdout (p2 drbd1:12)', () => {
    const c = at('p2-cluster-setup__drbd1.jsonl:12');
    // ssh had the console as its terminal: its line ends in CR LF.
    expect(c.stderr).toBe(`${'Operation completed successfully\n'.repeat(2)}Host key verification failed.\r\n${'Operation completed successfully\n'.repeat(2)}`);
    expect(dm(c).ok).toBe(true);
    expect(parseJoinCommand(c.stdout)).toMatchObject({ forNode: 'drbd2', localIp: '10.255.255.102', nodeId: 1, leaderName: 'drbd1', leaderIp: '10.255.255.101', leaderNodeId: 0, port: 6999 });
  });

  it('add-node drbd3 gets node id 2, where the blog prints 1 (p2 drbd1:15)', () => {
    expect(parseJoinCommand(at('p2-cluster-setup__drbd1.jsonl:15').stdout)).toMatchObject({ forNode: 'drbd3', localIp: '10.255.255.103', nodeId: 2 });
  });

  it('join answered yes: waits for its server on stdout, the result on stderr (p2 drbd2:2, drbd3:2)', () => {
    for (const id of ['p2-cluster-setup__drbd2.jsonl:2', 'p2-cluster-setup__drbd3.jsonl:2']) {
      const c = at(id);
      expect(c.stdout).toMatch(/yes\/no: Waiting for server to start up \(can take up to 1 min\)\n$/u);
      expect(dm(c)).toEqual({ ok: true, errors: [], notReady: [] });
    }
  });

  it('deploy of 40GB on 2 GiB pools: "Error: Not enough free space", exit 0, no success (p2 drbd1:32)', () => {
    const c = at('p2-cluster-setup__drbd1.jsonl:32');
    expect([c.exit, c.stdout, c.stderr]).toEqual([0, '', 'Error: Not enough free space\n']);
    expect(dm(c)).toEqual({ ok: false, errors: ['Error: Not enough free space'], notReady: [] });
  });

  it('add-volume --deploy: a success line and an error line is no success (p5 drbd1:11)', () => {
    expect(dm(at('p5-errors__drbd1.jsonl:11'))).toEqual({ ok: false, errors: ['Error: Not enough free space'], notReady: [] });
  });

  it('server errors for unknown names and duplicates, exit 0 (p5 drbd1:3-10)', () => {
    for (const [line, error] of [[3, 'Object not found'], [6, 'Object not found'], [8, 'Object not found'], [9, 'Object already exists'], [10, 'Object already exists']] as const) {
      const c = at(`p5-errors__drbd1.jsonl:${line}`);
      expect([c.exit, dm(c)]).toEqual([0, { ok: false, errors: [`Error: ${error}`], notReady: [] }]);
    }
  });

  it('client-side size errors print the usage on stdout and exit 0 (p5 drbd1:13, :14)', () => {
    expect(dm(at('p5-errors__drbd1.jsonl:13')).errors).toEqual(['Size is not a valid number']);
    expect(dm(at('p5-errors__drbd1.jsonl:14')).errors).toEqual(['"XB" is not a valid unit!']);
  });

  it('"not ready": before init, the startup error after 15 retries, exit 0 (p2 drbd1:2)', () => {
    const c = at('p2-cluster-setup__drbd1.jsonl:2');
    expect([c.exit, c.stdout]).toEqual([0, 'No nodes defined\n']);
    expect(dm(c).notReady).toEqual([NOT_READY_ERRORS[1]]);
    expect(onlyNotReady(dm(c))).toBe(true);
  });

  it('"not ready": the renamed node\'s satellite cannot get the control volume (p4 drbd3:7)', () => {
    const c = at('p4-hostname-pitfall__drbd3.jsonl:7');
    expect(dm(c)).toEqual({ ok: false, errors: [NOT_READY_ERRORS[2]], notReady: [NOT_READY_ERRORS[2]] });
    expect(c.stderr).toMatch(/^ERROR:dbus\.proxies:Introspect error .*\nWaiting for server: \.{15}\nError: Satellite/u);
  });

  it('D-Bus unreachable: exit 1, no "not ready" (p5 drbd2:15, :16)', () => {
    for (const id of ['p5-errors__drbd2.jsonl:15', 'p5-errors__drbd2.jsonl:16']) {
      const c = at(id);
      expect(c.exit).toBe(1);
      expect(dm(c)).toEqual({ ok: false, errors: ['Error: Cannot connect to the drbdmanaged process using DBus'], notReady: [] });
    }
  });

  it('argparse errors are errors (exit 2): an unknown command (p5 drbd1:15)', () => {
    expect(dm(at('p5-errors__drbd1.jsonl:15')).errors[0]).toMatch(/^drbdmanage: error: invalid choice: 'nosuchcommand'/u);
  });
});

describe('DRBD 9.2.18 state as drbd-utils 9.22 prints it', () => {
  it('drbdsetup status after the third join: .drbdctrl Primary on drbd1, both peers UpToDate (p2 drbd1:19)', () => {
    const [ctrl] = parseDrbdsetupStatus(at('p2-cluster-setup__drbd1.jsonl:19').stdout);
    expect(ctrl).toMatchObject({ name: '.drbdctrl', role: 'Primary' });
    expect(ctrl!.volumes.map((v) => [v.volume, v.disk])).toEqual([[0, 'UpToDate'], [1, 'UpToDate']]);
    expect(ctrl!.peers.map((p) => [p.name, p.role, p.volumes.map((v) => v.peerDisk)])).toEqual([
      ['drbd2', 'Secondary', ['UpToDate', 'UpToDate']],
      ['drbd3', 'Secondary', ['UpToDate', 'UpToDate']],
    ]);
  });

  it('drbd2\'s view after the race: drbd3 StandAlone, no role (p2 drbd2:4)', () => {
    const [ctrl] = parseDrbdsetupStatus(at('p2-cluster-setup__drbd2.jsonl:4').stdout);
    expect(ctrl!.peers.map((p) => [p.name, p.connection ?? 'Connected', p.role])).toEqual([['drbd1', 'Connected', 'Primary'], ['drbd3', 'StandAlone', null]]);
  });

  it('the initial sync serialised: one peer PausedSyncS resync-suspended:peer, congestion on the connection line (p2 drbd1:44, :70)', () => {
    const r0 = parseDrbdsetupStatus(at('p2-cluster-setup__drbd1.jsonl:44').stdout).find((r) => r.name === 'r0')!;
    expect(r0.peers.map((p) => [p.name, p.volumes[0]!.replication ?? 'Established', p.volumes[0]!.peerDisk, p.volumes[0]!.donePercent, p.volumes[0]!.extra['resync-suspended']])).toEqual([
      ['drbd2', 'PausedSyncS', 'Inconsistent', 31.88, 'peer'],
      ['drbd3', 'Established', 'UpToDate', undefined, undefined],
    ]);
    const r1 = parseDrbdsetupStatus(at('p2-cluster-setup__drbd1.jsonl:70').stdout)[0]!;
    expect(r1.peers[1]).toMatchObject({ name: 'drbd3', role: 'Secondary', extra: { congested: 'yes', 'ap-in-flight': '0', 'rs-in-flight': '13312' } });
    expect(r1.peers[1]!.volumes[0]).toMatchObject({ replication: 'SyncSource', peerDisk: 'Inconsistent', donePercent: 9.44 });
  });

  it('the target side: PausedSyncT resync-suspended:dependency and SyncTarget from the other secondary (p2 drbd2:15)', () => {
    const r0 = parseDrbdsetupStatus(at('p2-cluster-setup__drbd2.jsonl:15').stdout).find((r) => r.name === 'r0')!;
    expect(r0.volumes[0]!.disk).toBe('Inconsistent');
    expect(r0.peers.map((p) => [p.name, p.volumes[0]!.replication, p.volumes[0]!.extra['resync-suspended']])).toEqual([['drbd1', 'PausedSyncT', 'dependency'], ['drbd3', 'SyncTarget', undefined]]);
  });

  it('--verbose --statistics: node ids, minors, backing devices, counters (p2 drbd1:47)', () => {
    const [ctrl, r0] = parseDrbdsetupStatus(at('p2-cluster-setup__drbd1.jsonl:47').stdout);
    expect(ctrl).toMatchObject({ name: '.drbdctrl', role: 'Primary', suspended: 'no', extra: { 'node-id': '0', 'write-ordering': 'flush' } });
    expect(ctrl!.volumes[1]).toMatchObject({ volume: 1, disk: 'UpToDate', extra: { minor: '1', backing_dev: '/dev/drbdpool/.drbdctrl_1', quorum: 'yes', size: '4056' } });
    expect(r0!.volumes[0]).toMatchObject({ volume: 0, disk: 'UpToDate', extra: { minor: '101', size: '488282', 'bm-writes': '119' } });
    expect(r0!.peers.map((p) => [p.name, p.nodeId, p.connection, p.volumes[0]!.replication, p.volumes[0]!.extra['out-of-sync']])).toEqual([
      ['drbd2', 2, 'Connected', 'Established', '0'],
      ['drbd3', 1, 'Connected', 'Established', '0'],
    ]);
  });

  it('a resource whose peer is not there: Connecting, role Unknown, replication Off (p2 drbd1:73)', () => {
    const [r1] = parseDrbdsetupStatus(at('p2-cluster-setup__drbd1.jsonl:73').stdout);
    expect(r1!.peers[0]).toMatchObject({ name: 'drbd2', connection: 'Connecting', role: 'Unknown' });
    expect(r1!.peers[0]!.volumes[0]).toMatchObject({ replication: 'Off', peerDisk: 'DUnknown', extra: { 'out-of-sync': '585936' } });
  });

  it('a second volume Diskless client:yes on the node that was renamed (p4 drbd3:19)', () => {
    const r1 = parseDrbdsetupStatus(at('p4-hostname-pitfall__drbd3.jsonl:19').stdout).find((r) => r.name === 'r1')!;
    expect(r1.volumes.map((v) => [v.volume, v.disk, v.extra['client']])).toEqual([[0, 'UpToDate', undefined], [1, 'Diskless', 'yes']]);
  });

  it('nothing configured after a reboot with the units as installed (p3 drbd3:8)', () => {
    const c = at('p3-reboot__drbd3.jsonl:8');
    expect(c.stdout).toBe(`${NO_DRBD_CONFIGURED}\n`);
    expect(parseDrbdsetupStatus(c.stdout)).toEqual([]);
  });

  it('events2 --now: connection names, paths, promotion score; the same state as drbdsetup status (p2 drbd1:48, :47)', () => {
    const events = parseEvents2(at('p2-cluster-setup__drbd1.jsonl:48').stdout);
    expect(events.filter((e) => e.kind === 'path').map((e) => (e as { props: Record<string, string> }).props['peer'])).toEqual([
      'ipv4:10.255.255.103:6999', 'ipv4:10.255.255.102:6999', 'ipv4:10.255.255.102:7000', 'ipv4:10.255.255.103:7000',
    ]);
    const fromEvents = events2ToStatus(events).map((r) => [r.name, r.role, r.peers.map((p) => p.name).sort()]);
    const fromStatus = parseDrbdsetupStatus(at('p2-cluster-setup__drbd1.jsonl:47').stdout).map((r) => [r.name, r.role, r.peers.map((p) => p.name).sort()]);
    expect(fromEvents).toEqual(fromStatus);
  });

  it('/proc/drbd of 9.2.18 with no transport loaded (p1 drbd1:3)', () => {
    const proc = parseProcDrbd(at('p1-versions-prep__drbd1.jsonl:3').stdout);
    expect(proc).toMatchObject({ version: { major: 9, minor: 2, patch: 18, raw: '9.2.18' }, api: '2', proto: '118-124', gitHash: 'a7afc67e5873f3fedce8d944c89edf87ffb7c116', transports: [], minors: [] });
  });

  it('the kernel log names sync strategies and rules (DRBD 9.1+), per peer (p2 drbd2:7)', () => {
    const text = at('p2-cluster-setup__drbd2.jsonl:7').stdout.replace(/^\[\s*\d+\.\d+\] /gmu, '');
    const log = parseResyncLog(text, 1);
    expect(log.handshakes.map((h) => [h.peer, h.compare, h.rule, h.selfBits, h.peerBits])).toEqual([['drbd1', 'no-sync', 'lost-quorum', 0, 0]]);
  });

  it('drbd-utils refusals: unknown resource, a second primary, a renamed host (p5 drbd1:22-23, drbd2:1; p4 drbd3:4)', () => {
    expect([at('p5-errors__drbd1.jsonl:22').exit, at('p5-errors__drbd1.jsonl:22').stderr]).toEqual([1, "'nosuchres' not defined in your config (for this host).\n"]);
    expect([at('p5-errors__drbd1.jsonl:23').exit, at('p5-errors__drbd1.jsonl:23').stderr]).toEqual([10, 'nosuchres: No such resource\n']);
    expect(at('p5-errors__drbd2.jsonl:1').exit).toBe(11);
    const renamed = at('p4-hostname-pitfall__drbd3.jsonl:4');
    expect([renamed.exit, renamed.stderr.trim().split('\n')]).toEqual([1, noResourcesForThisHost('drbd3-new')]);
  });
});

describe('units, processes and volumes of the captured guests', () => {
  it('drbd.service and drbdmanaged.service both disabled, vendor preset enabled (p1 drbd1:12, :13)', () => {
    const units = parseUnitFiles(at('p1-versions-prep__drbd1.jsonl:12').stdout);
    expect(units.filter((u) => u.unit === 'drbd.service' || u.unit === 'drbdmanaged.service')).toEqual([
      { unit: 'drbd.service', state: 'disabled', preset: 'enabled' },
      { unit: 'drbdmanaged.service', state: 'disabled', preset: 'enabled' },
    ]);
    expect(parseIsEnabled(at('p1-versions-prep__drbd1.jsonl:13').stdout)).toEqual(['disabled', 'disabled']);
  });

  it('systemctl status drbd.service: "please disable", disabled, preset enabled, inactive, exit 3 (p1 drbd1:14)', () => {
    const c = at('p1-versions-prep__drbd1.jsonl:14');
    expect(c.exit).toBe(3);
    expect(parseSystemctlStatus(c.stdout)).toEqual({
      unit: 'drbd.service',
      description: 'DRBD -- please disable. Unless you are NOT using a cluster manager.',
      loaded: 'loaded (/lib/systemd/system/drbd.service; disabled; preset: enabled)',
      unitFile: { path: '/lib/systemd/system/drbd.service', enablement: 'disabled', preset: 'enabled' },
      active: 'inactive (dead)',
      mainPid: null,
      journal: [],
    });
  });

  it('drbdmanaged.service enabled and running after the reboot, with drbdmanaged\'s journal (p3 drbd3:16)', () => {
    const s = parseSystemctlStatus(at('p3-reboot__drbd3.jsonl:16').stdout);
    expect([s.unitFile?.enablement, s.active, s.mainPid]).toEqual(['enabled', 'active (running)', 301]);
    expect(s.journal.at(-1)).toMatch(/Leader election: nodes present:$/u);
  });

  it('the server runs D-Bus-activated while its unit is inactive: a child of PID 1, not of the unit (p3 drbd1:3, :4)', () => {
    expect(parseSystemctlStatus(at('p3-reboot__drbd1.jsonl:3').stdout).active).toBe('inactive (dead)');
    expect(parseProcesses(at('p3-reboot__drbd1.jsonl:4').stdout).map((p) => [p.pid, p.ppid, p.args])).toEqual([
      [202, 1, '/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only'],
      [506, 1, '/usr/bin/python2 /usr/bin/dbus-drbdmanaged-service'],
    ]);
    expect(parseKeyValues(at('p1-versions-prep__drbd1.jsonl:18').stdout)).toEqual({ Name: 'org.drbd.drbdmanaged', Exec: '/usr/bin/dbus-drbdmanaged-service', User: 'root' });
  });

  it('systemctl enable drbdmanaged.service prints the blog\'s line on stderr (p3 drbd3:14)', () => {
    expect(createdSymlinks(at('p3-reboot__drbd3.jsonl:14').stderr)).toEqual([
      { link: '/etc/systemd/system/multi-user.target.wants/drbdmanaged.service', target: '/lib/systemd/system/drbdmanaged.service' },
    ]);
  });

  it('vgs; pvs: drbdpool on /dev/vdb1, "<2.00g" (p1 drbd1:27)', () => {
    const [vgs, pvs] = parseLvmReports(at('p1-versions-prep__drbd1.jsonl:27').stdout);
    expect(vgs).toEqual([{ VG: 'drbdpool', '#PV': '1', '#LV': '0', '#SN': '0', Attr: 'wz--n-', VSize: '<2.00g', VFree: '<2.00g' }]);
    expect(pvs).toEqual([{ PV: '/dev/vdb1', VG: 'drbdpool', Fmt: 'lvm2', Attr: 'a--', PSize: '<2.00g', PFree: '<2.00g' }]);
    expect(parseLvmSize('<2.00g')).toEqual({ mib: 2048, roundedUp: true, precisionMiB: 10.24 });
  });

  it('mkfs on a small volume makes 1k blocks (p2 drbd1:61); the blog\'s /dev/drbd100 does not exist (p2 drbd1:51)', () => {
    expect(parseMkfs(at('p2-cluster-setup__drbd1.jsonl:61').stdout)).toEqual({ blocks: 488280, blockKiB: 1 });
    expect(parseMkfs(at('p2-cluster-setup__drbd1.jsonl:71').stdout)).toEqual({ blocks: 146484, blockKiB: 4 });
    expect(at('p2-cluster-setup__drbd1.jsonl:51').stderr).toBe('mke2fs 1.47.0 (5-Feb-2023)\nThe file /dev/drbd100 does not exist and no size was specified.\n');
  });
});

describe('parsers refuse what is no such output', () => {
  it('a list-nodes table cut after its header', () => {
    const cut = at('p2-cluster-setup__drbd1.jsonl:17').stdout.split('\n').slice(0, 3).join('\n');
    expect(() => parseListNodes(cut)).toThrow(/table is not closed/u);
  });

  it('a drbdadm status line at an indentation drbdsetup never prints', () => {
    const broken = at('p2-cluster-setup__drbd1.jsonl:19').stdout.replace('  drbd3 role:Secondary', '   drbd3 role:Secondary');
    expect(() => parseDrbdsetupStatus(broken)).toThrow(expect.objectContaining({ parser: 'drbdsetup-status' }));
    try {
      parseDrbdsetupStatus(broken);
    } catch (err) {
      expect(isDrbdParseError(err)).toBe(true);
    }
  });
});
