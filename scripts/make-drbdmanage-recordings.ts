// Generates the replay recordings of the drbdmanage scenarios (profile ubuntu1804-drbd9):
//   scenarios/recordings/synthetic/{walkthrough,reboot,hostname,services}.ubuntu1804-drbd9.json
// from the walkthrough's verbatim outputs (lib/drbd/fixtures, copied from shared/walkthrough).
// They are synthetic evidence (`evidence: 'synthetic'`): no VM ran them, so they carry no
// hypervisor, kernel or package-version labels, and a replay of them says so in its name.
//
//   npx tsx scripts/make-drbdmanage-recordings.ts
//
// Every output below is marked with where it comes from:
//   V  verbatim: the walkthrough (blog / steps.md) shows exactly this text. Where drbdmanage's
//      source says which stream a line goes to, the lines are split into stdout / stderr
//      (drbdmanage_client.py prints server return codes, "Operation completed successfully"
//      included, on stderr); the yes/no prompt is left out because the scenario runs with -q.
//   A  verbatim, adapted: the walkthrough's text with a stated correction (the memo's
//      mail1/mail2 typo, drbd3's node id 1 copy slip, the passphrase redacted, mke2fs's line
//      breaks restored).
//   C  constructed: the walkthrough shows no output for this command (or does not run it);
//      written as DRBD 9.0.16 / drbd-utils 9.x / drbdmanage 0.99 / systemd 237 / lvm2 2.02.176
//      on bionic print it, from their sources and formats.
// The command lines themselves come from scenarios/steps/drbdmanage/commands.ts, which the
// scenarios use, so a recording and its scenario cannot drift apart.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJoinCommand } from '../lib/drbd/index.js';
import {
  BOOT_ID_COMMAND, bootStart, journalAfterCommand, journalAtCommand, POSITION_COMMAND, readFromCommand, stampMicros, WHOLE_BOOT_COMMAND, withStamp,
  type KernelLogPosition,
} from '../lib/drbd/kernel-log.js';
import type { CommandRecord } from '../lib/report/command-record.js';
import { SYNTHETIC_SOURCE, type Recording } from '../lib/scenario/recording.js';
import {
  cmd,
  DATA_PARTITION,
  DRBD_SERVICE,
  DRBDMANAGED,
  joinCommandToRun,
  R0_DEVICE,
  REBOOT_FILE,
  RENAMED,
  WALKTHROUGH_FILE,
  WALKTHROUGH_TEXT,
  WALKTHROUGH_VOLUME,
} from '../scenarios/steps/drbdmanage/commands.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'lib', 'drbd', 'fixtures');
const OUT_DIR = join(ROOT, 'scenarios', 'recordings', 'synthetic');
const PROFILE = 'ubuntu1804-drbd9' as const;

const NODES = [
  { name: 'drbd1', replicationIp: '10.255.255.101' },
  { name: 'drbd2', replicationIp: '10.255.255.102' },
  { name: 'drbd3', replicationIp: '10.255.255.103' },
];
const ip = (name: string) => NODES.find((n) => n.name === name)!.replicationIp;

const fixture = (file: string) => readFileSync(join(FIXTURES, file), 'utf8');

type Kind = 'V' | 'A' | 'C';

interface Out {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** How long the command ran. */
  ms: number;
}

/** Builds one recording: commands in order on a plausible wall clock. */
class Builder {
  private t: number;
  readonly commands: CommandRecord[] = [];
  readonly kinds: Record<Kind, number> = { V: 0, A: 0, C: 0 };

  /** Boots per node so far: a reboot gives a node a new boot id (the kernel-log check reads it). */
  private readonly boots = new Map(NODES.map((n) => [n.name, 0]));
  /** What each node's kernel logged in its current boot (after a reboot), unstamped: step 25 reads it. */
  readonly bootLogs = new Map<string, string>();
  /** Where the kernel-log check (lib/scenario/kernel-health.ts) has read each node's log up to. */
  private readonly positions = new Map<string, KernelLogPosition>();
  /** What each node's kernel logged since the check last read it, unstamped. */
  private readonly pending = new Map<string, string[]>();
  /** Each node's kernel clock (µs since its boot), for dmesg's stamps. */
  private readonly micros = new Map<string, number>();

  constructor(start: string) {
    this.t = Date.parse(start);
    // C: the kernel-log mark every scenario starts with: the last dmesg line, numbered.
    for (const n of NODES) {
      this.micros.set(n.name, KERNEL_LOG_MARK_MICROS);
      const text = withStamp(KERNEL_LOG_MARK_MICROS, KERNEL_LOG_MARK_LINE);
      this.run(n.name, POSITION_COMMAND, 'C', { stdout: `${this.bootId(n.name)}\n${String(KERNEL_LOG_LINES).padStart(6)}\t${text}\n`, ms: 14 });
      this.positions.set(n.name, { bootId: this.bootId(n.name), line: KERNEL_LOG_LINES, text });
      // What DRBD logs while the scenario runs: the check's next read finds it.
      this.pending.set(n.name, KERNEL_LOG_SAME_BOOT.replace(/\n$/u, '').split('\n'));
    }
  }

  /** Stamps lines as the node's kernel logs them now. */
  private stamp(node: string, lines: string[]): string[] {
    return lines.map((l) => {
      const t = this.micros.get(node)! + 2_137;
      this.micros.set(node, t);
      return withStamp(t, l);
    });
  }

  /** C: the check reads the node's log from its position on (the position's line first). */
  private readOn(node: string, bootIdRead = false): void {
    const p = this.positions.get(node)!;
    if (!bootIdRead) this.run(node, BOOT_ID_COMMAND, 'C', { stdout: `${p.bootId}\n`, ms: 3 });
    const fresh = this.stamp(node, this.pending.get(node)!);
    const shown = p.line === 0 ? fresh : [p.text, ...fresh];
    this.run(node, readFromCommand(p), 'C', { stdout: `${shown.join('\n')}\n`, ms: 12 });
    if (fresh.length > 0) this.positions.set(node, { bootId: p.bootId, line: p.line + fresh.length, text: fresh.at(-1)! });
    this.pending.set(node, []);
  }

  /** C: journalctl -o json lines, as the check asks for them (cursor, message, the kernel's stamp). */
  private journalJson(node: string, bootId: string, entries: { i: number; line: string }[]): string {
    return entries
      .map(({ i, line }) => `${JSON.stringify({ __CURSOR: journalCursor(node, bootId, i), __REALTIME_TIMESTAMP: String(this.t * 1000), __MONOTONIC_TIMESTAMP: String(stampMicros(line)! + 1_200), _BOOT_ID: bootId.replace(/-/gu, ''), MESSAGE: line.replace(/^\[ *\d+\.\d{6}\] /u, ''), _SOURCE_MONOTONIC_TIMESTAMP: String(stampMicros(line)!) })}\n`)
      .join('');
  }

  /** A stable, made-up boot id per node and boot. */
  private bootId(node: string): string {
    const h = createHash('sha256').update(`drbdlab boot ${node} ${this.boots.get(node)}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Time between two commands: the harness's own overhead, or a poll interval. */
  wait(ms: number): this {
    this.t += ms;
    return this;
  }

  run(node: string, command: string, kind: Kind, out: Out, gapMs = 250): CommandRecord {
    this.t += gapMs;
    const record: CommandRecord = {
      seq: this.commands.length + 1,
      node,
      command,
      stdout: out.stdout ?? '',
      stderr: out.stderr ?? '',
      exitCode: out.exitCode ?? 0,
      startedAt: new Date(this.t).toISOString(),
      durationMs: out.ms,
    };
    this.t += out.ms;
    this.commands.push(record);
    this.kinds[kind]++;
    return record;
  }

  /**
   * Reboots of several nodes at once (the scenario calls node.reboot() in parallel), as the
   * kernel-log check watches them: each node's log read before, the shutdown read from the boot
   * before's journal after, the new boot read from its first line. `bootLog`: what a node's
   * kernel logs in the new boot after the banner (default KERNEL_LOG_BOOT).
   */
  rebootAll(nodes: string[], bootMs: number, bootLog: (node: string) => string = () => KERNEL_LOG_BOOT): void {
    for (const node of nodes) this.readOn(node);
    for (const node of nodes) {
      this.commands.push({
        seq: this.commands.length + 1,
        node,
        command: '#reboot',
        stdout: '',
        stderr: '',
        exitCode: 0,
        startedAt: new Date(this.t).toISOString(),
        durationMs: 0,
      });
    }
    this.t += bootMs;
    for (const node of nodes) {
      const before = this.positions.get(node)!;
      // The shutdown, logged after the read: only the journal of that boot has it.
      const shutdown = this.stamp(node, KERNEL_LOG_SHUTDOWN);
      this.boots.set(node, this.boots.get(node)! + 1);
      this.bootLogs.set(node, bootLog(node));
      const id = this.bootId(node);
      this.run(node, BOOT_ID_COMMAND, 'C', { stdout: `${id}\n`, ms: 3 });
      this.run(node, journalAtCommand(before), 'C', { stdout: this.journalJson(node, before.bootId, [{ i: before.line, line: before.text }]), ms: 40 });
      this.run(node, journalAfterCommand(before.bootId, journalCursor(node, before.bootId, before.line)), 'C', {
        stdout: this.journalJson(node, before.bootId, shutdown.map((line, k) => ({ i: before.line + 1 + k, line }))),
        ms: 40,
      });
      this.positions.set(node, bootStart(id));
      this.pending.set(node, [KERNEL_BANNER, ...this.bootLogs.get(node)!.replace(/\n$/u, '').split('\n')]);
      this.micros.set(node, -2_137); // the banner at 0.000000
      this.readOn(node, true);
    }
  }

  recording(): Recording {
    // C: the kernel-log check every scenario ends with: clean, DRBD 9.0.16's own lines only.
    for (const n of NODES) this.readOn(n.name);
    const { V, A, C } = this.kinds;
    return {
      profile: PROFILE,
      evidence: 'synthetic',
      source: SYNTHETIC_SOURCE,
      labels: {
        ...LABELS,
        outputs: `${V} verbatim, ${A} verbatim with a stated correction, ${C} constructed (marked in scripts/make-drbdmanage-recordings.ts)`,
      },
      nodes: NODES,
      commands: this.commands,
    };
  }
}

/**
 * Only what is true of a generated recording: no hypervisor ran it, and the walkthrough names
 * no package versions or kernel (labels of those would read as a run's in the report).
 */
const LABELS: Record<string, string> = {
  profile: PROFILE,
  generator: 'scripts/make-drbdmanage-recordings.ts',
};

// ---------------------------------------------------------------------------------------------
// Outputs

const OK = 'Operation completed successfully\n';

/** C: dmesg lines at scenario start (a bionic guest some minutes after boot), the last of them, and its stamp. */
const KERNEL_LOG_LINES = 731;
const KERNEL_LOG_MARK_LINE = 'drbd: registered as block device major 147';
const KERNEL_LOG_MARK_MICROS = 212_345_678;
/** C: the first line of a bionic guest's boot (start_kernel's banner). */
const KERNEL_BANNER = 'Linux version 4.15.0-20-generic (buildd@lgw01-amd64-039) (gcc version 7.3.0 (Ubuntu 7.3.0-16ubuntu3)) #21-Ubuntu SMP Tue Apr 24 06:16:15 UTC 2018 (Ubuntu 4.15.0-20.21-generic 4.15.18)';
/** C: DRBD 9.0.16's lines while drbdmanaged's resources go down at shutdown (drbd_state.c formats). */
const KERNEL_LOG_SHUTDOWN = ['drbd .drbdctrl: role( Primary -> Secondary )', 'drbd .drbdctrl: conn( Connected -> Disconnecting )', 'drbd .drbdctrl: Terminating sender thread'];
/** C: a journal cursor (sd-journal's format: seqnum id, entry, boot, monotonic, realtime, xor hash). */
function journalCursor(node: string, bootId: string, i: number): string {
  const h = (x: string) => createHash('sha256').update(x).digest('hex');
  return `s=${h(`seqnum ${node}`).slice(0, 32)};i=${i.toString(16)};b=${bootId.replace(/-/gu, '')};m=${(i * 4_660).toString(16)};t=${(1_541_466_130_000_000 + i).toString(16)};x=${h(`${node} ${bootId} ${i}`).slice(0, 16)}`;
}
/** C: DRBD 9.0.16's state-change lines (drbd_state.c formats) while a scenario runs: no BUG, WARNING, Oops. */
const KERNEL_LOG_SAME_BOOT =
  'drbd r0: Preparing cluster-wide state change 3204958851 (0->-1 3/1)\n' +
  'drbd r0: State change 3204958851: primary_nodes=1, weak_nodes=FFFFFFFFFFFFFFF8\n' +
  'drbd r0: Committing cluster-wide state change 3204958851 (1ms)\n' +
  'drbd r0: role( Secondary -> Primary )\n';
/** C: the DRBD lines of a boot with the DKMS module (drbd_main.c init messages). */
const KERNEL_LOG_BOOT =
  'drbd: loading out-of-tree module taints kernel.\n' +
  'drbd: initialized. Version: 9.0.16-1 (api:2/proto:86-114)\n' +
  'drbd: GIT-hash: ab9777dfeaf9d619acc9a5201bfcae8103e9529c build by root@ubuntu, 2018-11-05 09:12:40\n' +
  'drbd: registered as block device major 147\n';

/**
 * C: a boot with drbdmanaged enabled: the DKMS module's lines, then r0 (minor 100) attached with
 * nothing out of sync and, per peer, a sync handshake that finds equal UUIDs and no dirty bits
 * after a clean shutdown: no resync (DRBD 9.0 drbd_nl.c / drbd_receiver.c formats; rule 40 is
 * "common power off", as DRBD 8.4 logged it on the offline profile's real reboot).
 */
const R0_UUID = '6A1C0D7B3E9F2A10';
function kernelLogBootWithR0(node: string): string {
  const peers = NODES.map((n) => n.name).filter((n) => n !== node);
  const uuids = `${R0_UUID}:0000000000000000:0000000000000000:0000000000000000`;
  return (
    KERNEL_LOG_BOOT +
    'drbd r0: Starting worker thread (from drbdsetup [1187])\n' +
    'drbd r0/0 drbd100: disk( Diskless -> Attaching )\n' +
    'drbd r0/0 drbd100: Maximum number of peer devices = 7\n' +
    'drbd r0/0 drbd100: size = 37 GB (39062500 KB)\n' +
    'drbd r0/0 drbd100: 0 KB (0 bits) marked out-of-sync by on disk bit-map.\n' +
    'drbd r0/0 drbd100: disk( Attaching -> UpToDate )\n' +
    peers
      .map(
        (p) =>
          `drbd r0 ${p}: Handshake to peer ${NODES.findIndex((n) => n.name === p)} successful: Agreed network protocol version 113\n` +
          `drbd r0/0 drbd100 ${p}: drbd_sync_handshake:\n` +
          `drbd r0/0 drbd100 ${p}: self ${uuids} bits:0 flags:0\n` +
          `drbd r0/0 drbd100 ${p}: peer ${uuids} bits:0 flags:0\n` +
          `drbd r0/0 drbd100 ${p}: uuid_compare()=0 by rule 40\n` +
          `drbd r0/0 drbd100 ${p}: pdsk( DUnknown -> UpToDate ) repl( Off -> Established )\n`,
      )
      .join('')
  );
}

/** C: DRBD 9.0.16's /proc/drbd (drbd_proc.c) for a module DKMS built on the template. */
const PROC_DRBD_9 =
  'version: 9.0.16-1 (api:2/proto:86-114)\n' +
  'GIT-hash: ab9777dfeaf9d619acc9a5201bfcae8103e9529c build by root@ubuntu, 2018-11-05 09:12:40\n' +
  'Transports (api:16): tcp (9.0.16-1)\n';

/**
 * C: lvm2 2.02.176's `vgs` of the template's VG, which every clone's second disk carries (an
 * overlay on the template's): one row per PV, the PV column padded to its default width of 10
 * and left-aligned, sizes right-aligned. Sizes as on the walkthrough's 40 GiB disk: partition 1
 * from sector 2048, 1 MiB of PV metadata, 10239 extents of 4 MiB.
 */
const VGS = `  drbdpool ${DATA_PARTITION.padEnd(10)} 40956.00 40956.00\n`;

/** V (steps.md 11): init without the confirmation (-q); the rc line on stderr. */
const INIT = {
  stdout: "Empty drbdmanage control volume initialized on '/dev/drbd0'.\nEmpty drbdmanage control volume initialized on '/dev/drbd1'.\nWaiting for server: .\n",
  stderr: OK,
};

/**
 * V/A (steps.md 13, 16): add-node. Return codes go to stderr, ssh's "Host key verification
 * failed." too; the join command to stdout (cmd_new_node). For drbd3 the node id is 2: the memo's
 * "1" is a copy slip, drbdmanage hands out a free id. The passphrase is `<redacted>`, as the
 * harness stores it.
 */
function addNodeOutput(name: string, nodeId: number) {
  return {
    stdout: `Give leader time to contact the new node\n\nJoin command for node ${name}:\ndrbdmanage join -p 6999 ${ip(name)} ${nodeId} drbd1 ${ip('drbd1')} 0 <redacted>\n`,
    stderr: `${OK}${OK}Host key verification failed.\n${OK}${OK}`,
  };
}

/** V (steps.md 14): join with -q, so no prompt. */
const JOIN = { stdout: 'Waiting for server to start up (can take up to 1 min)\n', stderr: OK };

/** A: the memo's second list shows mail1/mail2 for drbd1/drbd2 (a copy from another cluster). */
const LIST_NODES_2_OK = fixture('drbdmanage-list-nodes-2-ok-mail-typo.txt').replace('| mail1 |', '| drbd1 |').replace('| mail2 |', '| drbd2 |');

/** C: list-nodes as drbd1's server sees it after the reboot, the others offline (views.py: "OFFLINE"). */
const LIST_NODES_OFFLINE = tableLike('drbdmanage-list-nodes-3-ok.txt', {
  '| drbd2 | 40956 | 40948 | | ok |': '| drbd2 | 40956 | 40948 | | OFFLINE |',
  '| drbd3 | 40956 | 40948 | | ok |': '| drbd3 | 40956 | 40948 | | OFFLINE |',
});
/** C: the same a few seconds after the reboot with drbdmanaged enabled: drbd3's server still starting. */
const LIST_NODES_DRBD3_OFFLINE = tableLike('drbdmanage-list-nodes-3-ok.txt', {
  '| drbd3 | 40956 | 40948 | | ok |': '| drbd3 | 40956 | 40948 | | OFFLINE |',
});

/**
 * A (blog step 21): mke2fs 1.44.1 output, line breaks restored (the blog runs lines together);
 * the version banner goes to stderr.
 */
const MKFS = {
  stderr: 'mke2fs 1.44.1 (24-Mar-2018)\n',
  stdout:
    'Creating filesystem with 9765625 4k blocks and 2444624 inodes\n' +
    'Filesystem UUID: 6db9e21d-c29d-489f-bea8-c2503add8351\n' +
    'Superblock backups stored on blocks: \n' +
    '\t32768, 98304, 163840, 229376, 294912, 819200, 884736, 1605632, 2654208, \n' +
    '\t4096000, 7962624\n' +
    '\n' +
    'Allocating group tables: done\n' +
    'Writing inode tables: done\n' +
    'Creating journal (65536 blocks): done\n' +
    'Writing superblocks and filesystem accounting information: done\n' +
    '\n',
};

/** C: drbdsetup status r0 (drbdsetup.c) once the mount made drbd1 Primary; resync going on. */
const R0_PRIMARY_RESYNC =
  'r0 role:Primary\n  disk:UpToDate\n  drbd2 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:5.12\n' +
  '  drbd3 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:5.07\n\n';

const r0Resync = (d2: string, d3: string) =>
  `r0 role:Secondary\n  disk:UpToDate\n  drbd2 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:${d2}\n` +
  `  drbd3 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:${d3}\n\n`;
const R0_IN_SYNC = 'r0 role:Secondary\n  disk:UpToDate\n  drbd2 role:Secondary\n    peer-disk:UpToDate\n  drbd3 role:Secondary\n    peer-disk:UpToDate\n\n';

/** C: after the second reboot the control volume's leader is drbd2 (it need not be drbd1). */
const STATUS_AFTER_REBOOT =
  '.drbdctrl role:Secondary\n  volume:0 disk:UpToDate\n  volume:1 disk:UpToDate\n' +
  '  drbd2 role:Primary\n    volume:0 peer-disk:UpToDate\n    volume:1 peer-disk:UpToDate\n' +
  '  drbd3 role:Secondary\n    volume:0 peer-disk:UpToDate\n    volume:1 peer-disk:UpToDate\n\n' +
  R0_IN_SYNC;

/** C: drbdadm under a hostname its res files do not name (drbdadm_main.c), on stderr. */
const NOT_DEFINED = "'r0' not defined in your config (for this host).\n";

/** C: drbdadm status r0 on drbd3 (its peers are drbd1, drbd2). */
const R0_ON_DRBD3 = 'r0 role:Secondary\n  disk:UpToDate\n  drbd1 role:Secondary\n    peer-disk:UpToDate\n  drbd2 role:Secondary\n    peer-disk:UpToDate\n\n';

/** V (steps.md 24): systemctl status drbd.service, exit 3 (inactive). */
const DRBD_SERVICE_STATUS =
  '● drbd.service - DRBD -- please disable. Unless you are NOT using a cluster manager.\n' +
  '   Loaded: loaded (/lib/systemd/system/drbd.service; disabled; vendor preset: enabled)\n' +
  '   Active: inactive (dead)\n';

/** V (steps.md 25): systemctl enable prints this on stderr. */
const ENABLE_DRBDMANAGED =
  'Created symlink /etc/systemd/system/multi-user.target.wants/drbdmanaged.service → /lib/systemd/system/drbdmanaged.service.\n';

/** C: dbus-send --print-reply of org.freedesktop.DBus.NameHasOwner. */
const nameHasOwner = (owned: boolean, time: string, serial: number) =>
  `method return time=${time} sender=org.freedesktop.DBus -> destination=:1.${serial} serial=3 reply_serial=2\n   boolean ${owned}\n`;

/** C: a 16 MiB file from /dev/urandom; the hash is any fixed value, the same before and after. */
const REBOOT_SHA = createHash('sha256').update('drbdlab reboot.bin').digest('hex');

function tableLike(file: string, replace: Record<string, string>): string {
  let text = fixture(file);
  for (const [from, to] of Object.entries(replace)) {
    if (!text.includes(from)) throw new Error(`${file}: no row ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// walkthrough

function walkthrough(): Recording {
  const b = new Builder('2018-11-06T01:02:10.000Z');
  const all = NODES.map((n) => n.name);

  // 7. the DKMS module
  for (const n of all) {
    b.run(n, cmd.modprobe, 'C', { ms: 184 });
    b.run(n, cmd.procDrbd, 'C', { stdout: PROC_DRBD_9, ms: 4 });
  }
  // 8. LVM: the template's VG, there on every clone
  for (const n of all) b.run(n, cmd.vgs, 'C', { stdout: VGS, ms: 64 });
  // 10. hostnames
  for (const n of all) b.run(n, cmd.hostname, 'C', { stdout: `${n}\n`, ms: 3 });
  // 11. init
  b.run('drbd1', cmd.init(ip('drbd1')), 'V', { ...INIT, ms: 9_812 });
  // 12. list-nodes
  b.run('drbd1', cmd.listNodes, 'V', { stdout: fixture('drbdmanage-list-nodes-1-ok.txt'), ms: 642 });
  // 13-15. drbd2
  const add2 = b.run('drbd1', cmd.addNode('drbd2', ip('drbd2')), 'A', { ...addNodeOutput('drbd2', 1), ms: 4_236 });
  b.run('drbd2', joinCommandToRun(parseJoinCommand(add2.stdout)), 'V', { ...JOIN, ms: 21_408 });
  b.run('drbd1', cmd.listNodes, 'V', { stdout: fixture('drbdmanage-list-nodes-2-pending.txt'), ms: 611 });
  b.run('drbd1', cmd.listNodes, 'A', { stdout: LIST_NODES_2_OK, ms: 598 }, 5_000);
  // 16. drbd3
  const add3 = b.run('drbd1', cmd.addNode('drbd3', ip('drbd3')), 'A', { ...addNodeOutput('drbd3', 2), ms: 4_518 });
  b.run('drbd3', joinCommandToRun(parseJoinCommand(add3.stdout)), 'V', { ...JOIN, ms: 22_037 });
  b.run('drbd1', cmd.listNodes, 'V', { stdout: fixture('drbdmanage-list-nodes-3-offline-pending.txt'), ms: 623 });
  b.run('drbd1', cmd.listNodes, 'V', { stdout: fixture('drbdmanage-list-nodes-3-ok.txt'), ms: 604 }, 5_000);
  // 17. drbdsetup status
  b.run('drbd1', cmd.status, 'V', { stdout: `${fixture('drbdsetup-status-9-drbdctrl-3-nodes.txt')}\n`, ms: 18 });
  // 18. add-resource, list-volumes
  b.run('drbd1', cmd.addResource, 'C', { stderr: OK, ms: 1_104 });
  b.run('drbd1', cmd.listVolumesPort, 'V', { stdout: fixture('drbdmanage-list-volumes-port-no-volumes.txt'), ms: 587 });
  // 19. add-volume (V: steps.md 19 shows the success line)
  b.run('drbd1', cmd.addVolume(WALKTHROUGH_VOLUME), 'V', { stderr: fixture('drbdmanage-add-volume-ok.txt'), ms: 1_876 });
  b.run('drbd1', cmd.listVolumesPort, 'V', { stdout: fixture('drbdmanage-list-volumes-port-ok.txt'), ms: 593 });
  // 20. deploy, list-assignments
  b.run('drbd1', cmd.deploy, 'C', { stderr: OK, ms: 2_311 });
  b.run('drbd1', cmd.listAssignments, 'V', { stdout: fixture('drbdmanage-list-assignments-3-ok.txt'), ms: 612 }, 5_000);
  // 21. mkfs
  b.run('drbd1', cmd.mkfs(R0_DEVICE), 'A', { ...MKFS, ms: 8_944 });
  // 22. resync visible
  b.run('drbd1', cmd.status, 'V', { stdout: fixture('drbdsetup-status-9-drbdctrl-and-r0-resync.txt'), ms: 21 });
  // 23. mount and use
  b.run('drbd1', cmd.mkdirMountPoint, 'C', { ms: 9 });
  b.run('drbd1', cmd.mount(R0_DEVICE), 'C', { ms: 87 });
  b.run('drbd1', cmd.writeWalkthroughFile, 'C', { stdout: `${WALKTHROUGH_TEXT}\n`, ms: 11 });
  b.run('drbd1', cmd.sync, 'C', { ms: 35 });
  b.run('drbd1', cmd.cat(WALKTHROUGH_FILE), 'C', { stdout: `${WALKTHROUGH_TEXT}\n`, ms: 3 });
  b.run('drbd1', cmd.statusOf('r0'), 'C', { stdout: R0_PRIMARY_RESYNC, ms: 17 });
  return b.recording();
}

// ---------------------------------------------------------------------------------------------
// reboot

function reboot(): Recording {
  const b = new Builder('2018-11-06T01:31:40.000Z');
  const all = NODES.map((n) => n.name);

  // 0. r0 deployed (the walkthrough's table), resync finishing, data written
  b.run('drbd1', cmd.listAssignments, 'V', { stdout: fixture('drbdmanage-list-assignments-3-ok.txt'), ms: 608 });
  b.run('drbd1', cmd.statusOf('r0'), 'C', { stdout: r0Resync('97.10', '96.98'), ms: 16 });
  b.run('drbd1', cmd.statusOf('r0'), 'C', { stdout: r0Resync('98.93', '98.85'), ms: 15 }, 10_000);
  b.run('drbd1', cmd.statusOf('r0'), 'C', { stdout: R0_IN_SYNC, ms: 15 }, 10_000);
  b.run('drbd1', cmd.ensureMounted(R0_DEVICE), 'C', { ms: 12 });
  b.run('drbd1', cmd.writeRebootFile, 'C', { ms: 264 });
  b.run('drbd1', cmd.sha256(REBOOT_FILE), 'C', { stdout: `${REBOOT_SHA}  ${REBOOT_FILE}\n`, ms: 61 });
  b.run('drbd1', cmd.umount, 'C', { ms: 142 });

  // 24. reboot as installed: nothing starts drbdmanaged
  for (const n of all) b.run(n, cmd.isEnabled(DRBDMANAGED), 'C', { stdout: 'disabled\n', exitCode: 1, ms: 9 });
  b.rebootAll(all, 48_000);
  for (const n of all) {
    b.run(n, cmd.isEnabled(DRBDMANAGED), 'C', { stdout: 'disabled\n', exitCode: 1, ms: 10 });
    b.run(n, cmd.isActive(DRBDMANAGED), 'C', { stdout: 'inactive\n', exitCode: 3, ms: 8 });
  }
  b.run('drbd1', cmd.statusUnit(DRBD_SERVICE), 'V', { stdout: DRBD_SERVICE_STATUS, exitCode: 3, ms: 21 });
  b.run('drbd1', cmd.listNodes, 'C', { stdout: LIST_NODES_OFFLINE, ms: 6_930 });

  // 25. enable, reboot, back
  for (const n of all) {
    b.run(n, cmd.enable(DRBDMANAGED), 'V', { stderr: ENABLE_DRBDMANAGED, ms: 412 });
    b.run(n, cmd.isEnabled(DRBDMANAGED), 'C', { stdout: 'enabled\n', ms: 9 });
  }
  b.rebootAll(all, 51_000, kernelLogBootWithR0);
  for (const n of all) b.run(n, cmd.isActive(DRBDMANAGED), 'C', { stdout: 'active\n', ms: 8 });
  b.run('drbd1', cmd.listNodes, 'C', { stdout: LIST_NODES_DRBD3_OFFLINE, ms: 702 });
  b.run('drbd1', cmd.listNodes, 'V', { stdout: fixture('drbdmanage-list-nodes-3-ok.txt'), ms: 655 }, 5_000);
  b.run('drbd1', cmd.status, 'C', { stdout: STATUS_AFTER_REBOOT, ms: 19 });
  // 25. how much r0 resynced: the kernel log of this boot
  for (const n of all) b.run(n, WHOLE_BOOT_COMMAND, 'C', { stdout: b.bootLogs.get(n)!, ms: 14 });
  b.run('drbd1', cmd.ensureMounted(R0_DEVICE), 'C', { ms: 96 });
  b.run('drbd1', cmd.sha256(REBOOT_FILE), 'C', { stdout: `${REBOOT_SHA}  ${REBOOT_FILE}\n`, ms: 66 });
  b.run('drbd1', cmd.umount, 'C', { ms: 131 });
  return b.recording();
}

// ---------------------------------------------------------------------------------------------
// hostname (after the reboot scenario: drbdmanaged runs under systemd)

function hostname(): Recording {
  const b = new Builder('2018-11-06T01:48:05.000Z');
  const list3ok = fixture('drbdmanage-list-nodes-3-ok.txt');

  b.run('drbd1', cmd.listAssignments, 'V', { stdout: fixture('drbdmanage-list-assignments-3-ok.txt'), ms: 597 });
  b.run('drbd1', cmd.listNodes, 'V', { stdout: list3ok, ms: 603 });

  // renamed
  b.run('drbd3', cmd.setHostname(RENAMED), 'C', { ms: 64 });
  b.run('drbd3', cmd.hostname, 'C', { stdout: `${RENAMED}\n`, ms: 3 });
  // C: drbd-utils drbdadm_main.c, exit 1 (as measured with drbd-utils 9.22 on the offline profile)
  b.run('drbd3', cmd.drbdadmStatus('r0'), 'C', { stderr: NOT_DEFINED, exitCode: 1, ms: 27 });
  b.run('drbd3', cmd.isActive(DRBDMANAGED), 'C', { stdout: 'active\n', ms: 8 });
  b.run('drbd3', cmd.restartUnit(DRBDMANAGED), 'C', { ms: 1_318 });
  b.run('drbd3', cmd.nameHasOwner, 'C', { stdout: nameHasOwner(false, '1541468893.402117', 41), ms: 12 });
  b.run('drbd3', cmd.nameHasOwner, 'C', { stdout: nameHasOwner(true, '1541468895.419630', 44), ms: 11 }, 2_000);
  // C: server.py update_pool_data() → DM_ENOENT for a node name not in the data tables
  b.run('drbd3', cmd.dmUpdatePool, 'C', { stderr: 'Error: Object not found\n', ms: 688 });
  // 30 s later: still unknown (the scenario sleeps on the lab's clock in between)
  b.wait(30_000);
  b.run('drbd3', cmd.dmUpdatePool, 'C', { stderr: 'Error: Object not found\n', ms: 671 });
  b.run('drbd3', cmd.drbdadmStatus('r0'), 'C', { stderr: NOT_DEFINED, exitCode: 1, ms: 25 });
  b.run('drbd1', cmd.listNodes, 'C', { stdout: list3ok, ms: 611 });

  // restored
  b.run('drbd3', cmd.setHostname('drbd3'), 'C', { ms: 61 });
  b.run('drbd3', cmd.hostname, 'C', { stdout: 'drbd3\n', ms: 3 });
  b.run('drbd3', cmd.isActive(DRBDMANAGED), 'C', { stdout: 'active\n', ms: 8 });
  b.run('drbd3', cmd.restartUnit(DRBDMANAGED), 'C', { ms: 1_402 });
  b.run('drbd3', cmd.nameHasOwner, 'C', { stdout: nameHasOwner(true, '1541468931.774502', 52), ms: 12 });
  b.run('drbd3', cmd.dmUpdatePool, 'C', { stderr: OK, ms: 1_093 });
  b.run('drbd3', cmd.drbdadmStatus('r0'), 'C', { stdout: R0_ON_DRBD3, ms: 31 });
  b.run('drbd1', cmd.listNodes, 'V', { stdout: list3ok, ms: 617 });
  return b.recording();
}

// ---------------------------------------------------------------------------------------------
// services

function services(): Recording {
  const b = new Builder('2018-11-06T01:55:30.000Z');
  const all = NODES.map((n) => n.name);
  for (const n of all) {
    b.run(n, cmd.statusUnit(DRBD_SERVICE), 'V', { stdout: DRBD_SERVICE_STATUS, exitCode: 3, ms: 23 });
    b.run(n, cmd.isEnabled(DRBD_SERVICE), 'C', { stdout: 'disabled\n', exitCode: 1, ms: 9 });
    b.run(n, cmd.showStates(DRBD_SERVICE), 'C', { stdout: 'ActiveState=inactive\nUnitFileState=disabled\n', ms: 10 });
  }
  for (const n of all) {
    b.run(n, cmd.isEnabled(DRBDMANAGED), 'C', { stdout: 'enabled\n', ms: 9 });
    b.run(n, cmd.showStates(DRBDMANAGED), 'C', { stdout: 'ActiveState=active\nUnitFileState=enabled\n', ms: 10 });
  }
  return b.recording();
}

// ---------------------------------------------------------------------------------------------

mkdirSync(OUT_DIR, { recursive: true });
for (const [name, make] of [
  ['walkthrough', walkthrough],
  ['reboot', reboot],
  ['hostname', hostname],
  ['services', services],
] as const) {
  const recording = make();
  const file = join(OUT_DIR, `${name}.${PROFILE}.json`);
  writeFileSync(file, `${JSON.stringify(recording, null, 1)}\n`);
  console.log(`${file.slice(ROOT.length + 1)}: ${recording.commands.length} records; ${recording.labels.outputs}`);
}
