// Builds the replay recordings of the drbdmanage scenarios (profile ubuntu1804-drbd9):
//   scenarios/recordings/captured/{walkthrough,reboot,hostname,services}.ubuntu1804-drbd9.json
// from captured outputs of the real programs (scenarios/recordings/captures/<set>/, one JSON line
// per command, README there: drbdmanage 0.99.18 and DRBD 9.2.18 run by hand on three Debian 12
// guests, not a drbdlab run). Each command a scenario runs takes its output from a capture where
// one exists; only the rest is constructed. Every output says which in its record's
// `provenance` (the transcript and the report show it):
//   captured  the capture `file:line`: stdout, stderr, exit code, start and duration as captured
//             (the join secret redacted). The scenario's command must be the captured one, run
//             with sudo where the capture ran as root, a confirmation answered on stdin as
//             captured; anything else is refused here.
//   source    constructed from the program's source and formats: what was not captured (the
//             kernel-log checks, mkdir/mount/tee, a checksum of written data).
//   blog      constructed from the blog's printed text.
// A recording with any captured output has `evidence: 'captured'`; its replay is named
// "captured (drbdmanage 0.99.18, Debian 12 guests)", never "real".
//
//   npx tsx scripts/make-drbdmanage-recordings.ts           writes the recordings
//   npx tsx scripts/make-drbdmanage-recordings.ts --check   exits 1 if they differ from what it builds
//
// New captures go into the captures folder (a new set: CAPTURE_SET below); the stories below
// name the capture each command takes (`file:line`), so a command gets a capture by naming it.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { captureId, capturedCommandLine, parseCaptureFile, type CapturedCommand } from '../lib/drbd/drbdmanage-capture.js';
import { parseJoinCommand } from '../lib/drbd/drbdmanage-result.js';
import {
  BOOT_ID_COMMAND, bootStart, journalAfterCommand, journalAtCommand, POSITION_COMMAND, readFromCommand, stampMicros, WHOLE_BOOT_COMMAND, withStamp,
  type KernelLogPosition,
} from '../lib/drbd/kernel-log.js';
import type { CommandRecord, OutputProvenance } from '../lib/ssh/command-record.js';
import type { Recording } from '../lib/scenario/recording.js';
import {
  cmd,
  deviceOf,
  DRBD_SERVICE,
  DRBDMANAGED,
  joinCommandToRun,
  REBOOT_FILE,
  REBOOTED,
  RENAMED,
  SMALL_VOLUME,
  WALKTHROUGH_FILE,
  WALKTHROUGH_MINOR,
  WALKTHROUGH_TEXT,
  WALKTHROUGH_VOLUME,
} from '../scenarios/steps/drbdmanage/commands.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CAPTURE_SET = 'drbdmanage-0.99.18-drbd-9.2.18';
export const CAPTURES_DIR = join(ROOT, 'scenarios', 'recordings', 'captures', CAPTURE_SET);
export const OUT_DIR = join(ROOT, 'scenarios', 'recordings', 'captured');
const CAPTURED_ON = 'drbdmanage 0.99.18, Debian 12 guests';
const PROFILE = 'ubuntu1804-drbd9' as const;
const REDACTED = '<redacted>';

const NODES = [
  { name: 'drbd1', replicationIp: '10.255.255.101' },
  { name: 'drbd2', replicationIp: '10.255.255.102' },
  { name: 'drbd3', replicationIp: '10.255.255.103' },
];
const ip = (name: string) => NODES.find((n) => n.name === name)!.replicationIp;

/** The captures of the set, by `file:line`, and the join secret they hold (redacted wherever used). */
class Captures {
  readonly byId: Map<string, CapturedCommand>;
  readonly secret: string;
  constructor(dir: string) {
    const all = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .flatMap((f) => parseCaptureFile(f, readFileSync(join(dir, f), 'utf8')));
    this.byId = new Map(all.map((c) => [captureId(c), c]));
    const addNode = all.find((c) => /^drbdmanage add-node /u.test(c.cmd) && c.stdout.includes('drbdmanage join'));
    if (!addNode) throw new Error(`${dir}: no add-node capture with a join command`);
    this.secret = parseJoinCommand(addNode.stdout).secret;
  }
  get(id: string): CapturedCommand {
    const c = this.byId.get(id);
    if (!c) throw new Error(`no capture ${id} in ${CAPTURE_SET}`);
    return c;
  }
  redact(text: string): string {
    return text.split(this.secret).join(REDACTED);
  }
}

/**
 * The scenario's command is the captured one: the same line once `sudo ` is dropped (the
 * captures ran as root), a captured stdin given as `printf '…' | ` in front.
 */
function capturedAs(c: CapturedCommand, captures: Captures): string {
  const line = captures.redact(capturedCommandLine(c));
  return c.stdin === undefined ? line : `printf '${c.stdin.replace(/\n/gu, '\\n')}' | ${line}`;
}
const withoutSudo = (command: string) => command.replace(/\bsudo /gu, '');

interface Out {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  ms: number;
}

/**
 * Builds one recording: commands in the scenario's order, captured outputs with their own times.
 * The kernel-log check around every scenario (lib/scenario/kernel-health.ts) is constructed as it
 * reads: each node's position at the start, its log before and after every reboot (the boot
 * before's rest from its journal, the new boot from its banner), every node to the end.
 */
class Builder {
  private t: number;
  readonly commands: CommandRecord[] = [];
  /** Boots per node so far: a reboot gives a node a new boot id. */
  private readonly boots = new Map(NODES.map((n) => [n.name, 0]));
  /** What each node's kernel logged in its current boot (after a reboot), unstamped: the reboot scenario reads it. */
  readonly bootLogs = new Map<string, string>();
  /** Where the kernel-log check has read each node's log up to. */
  private readonly positions = new Map<string, KernelLogPosition>();
  /** What each node's kernel logged since the check last read it, unstamped. */
  private readonly pending = new Map<string, string[]>();
  /** Each node's kernel clock (µs since its boot), for dmesg's stamps. */
  private readonly micros = new Map<string, number>();
  /** Nodes whose DRBD resources run (their shutdown takes them down). */
  private readonly drbdUp = new Set(NODES.map((n) => n.name));

  constructor(
    private readonly captures: Captures,
    start: string,
  ) {
    this.t = Date.parse(start);
    for (const n of NODES) {
      this.micros.set(n.name, KERNEL_LOG_MARK_MICROS);
      const text = withStamp(KERNEL_LOG_MARK_MICROS, KERNEL_LOG_MARK_LINE);
      this.constructed(n.name, POSITION_COMMAND, 'source', 'the kernel-log mark every scenario starts with (lib/scenario/kernel-health.ts): the boot id, the last dmesg line numbered', {
        stdout: `${this.bootId(n.name)}\n${String(KERNEL_LOG_LINES).padStart(6)}\t${text}\n`,
        ms: 14,
      });
      this.positions.set(n.name, { bootId: this.bootId(n.name), line: KERNEL_LOG_LINES, text });
      // What DRBD logs while the scenario runs: the check's next read finds it.
      this.pending.set(n.name, KERNEL_LOG_SAME_BOOT.replace(/\n$/u, '').split('\n'));
    }
  }

  /** A stable, made-up boot id per node and boot. */
  private bootId(node: string): string {
    const h = createHash('sha256').update(`drbdlab boot ${node} ${this.boots.get(node)}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Stamps lines as the node's kernel logs them now. */
  private stamp(node: string, lines: string[]): string[] {
    return lines.map((l) => {
      const t = this.micros.get(node)! + 2_137;
      this.micros.set(node, t);
      return withStamp(t, l);
    });
  }

  /** The check reads the node's log from its position on (the position's line first). */
  private readOn(node: string, bootIdRead = false): void {
    const p = this.positions.get(node)!;
    if (!bootIdRead) this.constructed(node, BOOT_ID_COMMAND, 'source', 'the boot id the kernel-log check compares with its position', { stdout: `${p.bootId}\n`, ms: 3 });
    const fresh = this.stamp(node, this.pending.get(node)!);
    const shown = p.line === 0 ? fresh : [p.text, ...fresh];
    this.constructed(node, readFromCommand(p), 'source', "the kernel log from the check's position on: DRBD 9.2.18's lines in the formats of the captured kernel log (p2-cluster-setup__drbd2.jsonl:7), no BUG, WARNING or Oops", {
      stdout: `${shown.join('\n')}\n`,
      ms: 12,
    });
    if (fresh.length > 0) this.positions.set(node, { bootId: p.bootId, line: p.line + fresh.length, text: fresh.at(-1)! });
    this.pending.set(node, []);
  }

  /** journalctl -o json lines, as the check asks for them (cursor, message, the kernel's stamp). */
  private journalJson(node: string, bootId: string, entries: { i: number; line: string }[]): string {
    return entries
      .map(({ i, line }) => `${JSON.stringify({ __CURSOR: journalCursor(node, bootId, i), __REALTIME_TIMESTAMP: String(this.t * 1000), __MONOTONIC_TIMESTAMP: String(stampMicros(line)! + 1_200), _BOOT_ID: bootId.replace(/-/gu, ''), MESSAGE: line.replace(/^\[ *\d+\.\d{6}\] /u, ''), _SOURCE_MONOTONIC_TIMESTAMP: String(stampMicros(line)!) })}\n`)
      .join('');
  }

  private push(node: string, command: string, out: Required<Omit<Out, 'ms'>> & { ms: number; at: number }, provenance: OutputProvenance): CommandRecord {
    const record: CommandRecord = {
      seq: this.commands.length + 1,
      node,
      command,
      stdout: out.stdout,
      stderr: out.stderr,
      exitCode: out.exitCode,
      startedAt: new Date(out.at).toISOString(),
      durationMs: out.ms,
      provenance,
    };
    this.t = Math.max(this.t, out.at + out.ms);
    this.commands.push(record);
    return record;
  }

  /** `command` on `node` gets the output of capture `id`, which must be that command on that node. */
  captured(node: string, command: string, id: string): CommandRecord {
    const c = this.captures.get(id);
    if (c.node !== node) throw new Error(`${id} ran on ${c.node}, the scenario runs ${command} on ${node}`);
    const as = capturedAs(c, this.captures);
    if (withoutSudo(command) !== withoutSudo(as)) throw new Error(`${id} is \`${as}\`, the scenario runs \`${command}\``);
    if (c.exit === null) throw new Error(`${id}: no exit status (a reboot is taken with reboot())`);
    return this.push(
      node,
      command,
      { stdout: this.captures.redact(c.stdout), stderr: this.captures.redact(c.stderr), exitCode: c.exit, ms: c.durationMs, at: Date.parse(c.tStart) },
      { kind: 'captured', from: `${id} \`${as}\`${c.tty ? ' (under a pty: stderr merged into stdout)' : ''}, as root, on ${c.hostname ?? node} at ${c.tStart}` },
    );
  }

  /** `hostname` as the capture's hostname field recorded it when command `id` ran. */
  capturedHostname(node: string, id: string): CommandRecord {
    const c = this.captures.get(id);
    if (c.node !== node || c.hostname === null) throw new Error(`${id}: no hostname of ${node}`);
    return this.push(node, cmd.hostname, { stdout: `${c.hostname}\n`, stderr: '', exitCode: 0, ms: 3, at: Date.parse(c.tStart) }, {
      kind: 'captured',
      from: `${id}: the hostname field, what \`hostname\` said when \`${c.cmd}\` ran on ${node}`,
    });
  }

  /**
   * A reboot of `node` (the scenario's node.reboot()), as capture `id` rebooted it, and as the
   * kernel-log check watches it: the log read before, the shutdown read from the boot before's
   * journal after, the new boot read from its first line. `bootLog`: what the kernel logs in the
   * new boot after the banner.
   */
  reboot(node: string, id: string, bootLog: string): void {
    const c = this.captures.get(id);
    if (c.node !== node || c.cmd !== 'systemctl reboot') throw new Error(`${id} is no reboot of ${node}`);
    this.readOn(node);
    this.push(node, '#reboot', { stdout: '', stderr: '', exitCode: 0, ms: c.durationMs, at: Date.parse(c.tStart) }, {
      kind: 'captured',
      from: `${id} \`systemctl reboot\` on ${node}: ${c.durationMs / 1000} s until its shell answered again`,
    });
    const before = this.positions.get(node)!;
    // The shutdown, logged after the read: only the journal of that boot has it.
    const shutdown = this.stamp(node, this.drbdUp.has(node) ? drbdDown(node) : []);
    this.boots.set(node, this.boots.get(node)! + 1);
    this.bootLogs.set(node, bootLog);
    if (bootLog.includes('drbd r0')) this.drbdUp.add(node);
    else this.drbdUp.delete(node);
    const bootId = this.bootId(node);
    this.constructed(node, BOOT_ID_COMMAND, 'source', 'the boot id of the new boot', { stdout: `${bootId}\n`, ms: 3 });
    this.constructed(node, journalAtCommand(before), 'source', "the journal entry of the check's last line of the boot before (journalctl -o json)", {
      stdout: this.journalJson(node, before.bootId, [{ i: before.line, line: before.text }]),
      ms: 40,
    });
    this.constructed(node, journalAfterCommand(before.bootId, journalCursor(node, before.bootId, before.line)), 'source', "the rest of the boot before from its journal: DRBD 9.2's lines at shutdown", {
      stdout: this.journalJson(node, before.bootId, shutdown.map((line, k) => ({ i: before.line + 1 + k, line }))),
      ms: 40,
    });
    this.positions.set(node, bootStart(bootId));
    this.pending.set(node, [KERNEL_BANNER, ...bootLog.replace(/\n$/u, '').split('\n')]);
    this.micros.set(node, -2_137); // the banner at 0.000000
    this.readOn(node, true);
  }

  /** drbdmanaged, started on `node` by D-Bus activation, brings its resources up: the kernel logs r0's attach and handshakes. */
  drbdStarts(node: string): void {
    this.drbdUp.add(node);
    this.pending.get(node)!.push(...r0Up(node).replace(/\n$/u, '').split('\n'));
  }

  constructed(node: string, command: string, kind: 'blog' | 'source', from: string, out: Out, gapMs = 250): CommandRecord {
    return this.push(node, command, { stdout: out.stdout ?? '', stderr: out.stderr ?? '', exitCode: out.exitCode ?? 0, ms: out.ms, at: this.t + gapMs }, { kind, from });
  }

  recording(): Recording {
    // The kernel-log check every scenario ends with: every node read to the end, clean.
    for (const n of NODES) this.readOn(n.name);
    return {
      profile: PROFILE,
      evidence: 'captured',
      capturedOn: CAPTURED_ON,
      source:
        `built by scripts/make-drbdmanage-recordings.ts from scenarios/recordings/captures/${CAPTURE_SET} ` +
        '(drbdmanage 0.99.18, DRBD 9.2.18 and drbd-utils 9.22 run by hand on three Debian 12 guests with the blog\'s commands, not a drbdlab run); ' +
        'outputs not captured are constructed, each record says which',
      labels: { profile: PROFILE, generator: 'scripts/make-drbdmanage-recordings.ts', 'capture-set': CAPTURE_SET },
      nodes: NODES,
      commands: this.commands,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Constructed outputs (what no capture shows)

/** dmesg lines at scenario start (a guest some minutes after boot), the last of them, and its stamp. */
const KERNEL_LOG_LINES = 731;
const KERNEL_LOG_MARK_LINE = 'drbd: registered as block device major 147';
const KERNEL_LOG_MARK_MICROS = 212_345_678;
/** The first line of a boot of the captured guests' kernel (their `uname -a`, p1-versions-prep__drbd1.jsonl:2). */
const KERNEL_BANNER =
  'Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)';
/** DRBD 9.2's lines while r0 goes down at shutdown (drbd_state.c formats). */
const drbdDown = (node: string): string[] =>
  NODES.map((n) => n.name)
    .filter((p) => p !== node)
    .flatMap((p) => [`drbd r0 ${p}: conn( Connected -> Disconnecting ) [down]`, `drbd r0 ${p}: Terminating sender thread`]);
/** A journal cursor (sd-journal's format: seqnum id, entry, boot, monotonic, realtime, xor hash). */
function journalCursor(node: string, bootId: string, i: number): string {
  const h = (x: string) => createHash('sha256').update(x).digest('hex');
  return `s=${h(`seqnum ${node}`).slice(0, 32)};i=${i.toString(16)};b=${bootId.replace(/-/gu, '')};m=${(i * 4_660).toString(16)};t=${(1_765_065_000_000_000 + i).toString(16)};x=${h(`${node} ${bootId} ${i}`).slice(0, 16)}`;
}
/** DRBD 9.2's state-change lines while a scenario runs (drbd_state.c formats): no BUG, WARNING, Oops. */
const KERNEL_LOG_SAME_BOOT =
  'drbd r0: Preparing cluster-wide state change 3204958851: 0->all role( Primary )\n' +
  'drbd r0: State change 3204958851: primary_nodes=1, weak_nodes=FFFFFFFFFFFFFFF8\n' +
  'drbd r0: Committing cluster-wide state change 3204958851 (1ms)\n' +
  'drbd r0: role( Secondary -> Primary ) [mkfs]\n';
/** The module's lines at boot, as the captured guests' module (unsigned, built outside the distribution) prints them. */
const KERNEL_LOG_MODULE =
  'drbd: loading out-of-tree module taints kernel.\n' +
  'drbd: module verification failed: signature and/or required key missing - tainting kernel\n' +
  'drbd: initialized. Version: 9.2.18 (api:2/proto:118-124)\n' +
  'drbd: GIT-hash: a7afc67e5873f3fedce8d944c89edf87ffb7c116 build by @vm, 2026-12-06 23:29:37\n' +
  'drbd: registered as block device major 147\n';

/** r0's node ids, as drbdmanage gave them (the captured drbdmanage_r0.res, p2-cluster-setup__drbd1.jsonl:50). */
const R0_NODE_IDS: Record<string, number> = { drbd1: 0, drbd3: 1, drbd2: 2 };
const R0_UUID = '6A1C0D7B3E9F2A10';
const R0_MINOR = WALKTHROUGH_MINOR + 1;

/**
 * The boot of a node whose drbdmanaged starts r0 again after a clean shutdown: attached with
 * nothing out of sync, one sync handshake per peer that finds equal UUIDs, no resync (DRBD 9.2
 * drbd_nl.c / drbd_receiver.c formats, as the captured kernel log shows them).
 */
function bootWithR0(node: string): string {
  return KERNEL_LOG_MODULE + r0Up(node);
}

/** r0 attached and connected to its peers (drbdmanaged's `drbdadm adjust`). */
function r0Up(node: string): string {
  const peers = NODES.map((n) => n.name).filter((n) => n !== node);
  const uuids = `${R0_UUID}:0000000000000000:0000000000000000:0000000000000000`;
  return (
    `drbd r0: Starting worker thread (node-id ${R0_NODE_IDS[node]})\n` +
    `drbd r0/0 drbd${R0_MINOR}: disk( Diskless -> Attaching ) [attach]\n` +
    `drbd r0/0 drbd${R0_MINOR}: Maximum number of peer devices = 7\n` +
    `drbd r0/0 drbd${R0_MINOR}: size = 477 MB (488282 KB)\n` +
    `drbd r0/0 drbd${R0_MINOR}: 0 KB (0 bits) marked out-of-sync by on disk bit-map.\n` +
    `drbd r0/0 drbd${R0_MINOR}: disk( Attaching -> UpToDate ) [attach]\n` +
    peers
      .map(
        (p) =>
          `drbd r0 ${p}: Handshake to peer ${R0_NODE_IDS[p]} successful: Agreed network protocol version 124\n` +
          `drbd r0/0 drbd${R0_MINOR} ${p}: drbd_sync_handshake:\n` +
          `drbd r0/0 drbd${R0_MINOR} ${p}: self ${uuids} bits:0 flags:20\n` +
          `drbd r0/0 drbd${R0_MINOR} ${p}: peer ${uuids} bits:0 flags:20\n` +
          `drbd r0/0 drbd${R0_MINOR} ${p}: uuid_compare()=no-sync by rule=reconnected\n` +
          `drbd r0/0 drbd${R0_MINOR} ${p}: pdsk( DUnknown -> UpToDate ) repl( Off -> Established ) [connected]\n`,
      )
      .join('')
  );
}

/** A boot where nothing of DRBD starts (units as installed, or a name the res files do not know): the module only. */
const BOOT_WITHOUT_DRBD = KERNEL_LOG_MODULE;

/** A 16 MiB file from /dev/urandom; the hash is any fixed value, the same before and after. */
const REBOOT_SHA = createHash('sha256').update('drbdlab reboot.bin').digest('hex');

const SOURCE_QUIET = 'prints nothing when it succeeds';

// ---------------------------------------------------------------------------------------------
// The stories: each scenario's commands in its order, with the capture each one takes.

const P1 = (node: string, line: number) => `p1-versions-prep__${node}.jsonl:${line}`;
const P2 = (node: string, line: number) => `p2-cluster-setup__${node}.jsonl:${line}`;
const P3 = (node: string, line: number) => `p3-reboot__${node}.jsonl:${line}`;
const P4 = (node: string, line: number) => `p4-hostname-pitfall__${node}.jsonl:${line}`;
const P5 = (node: string, line: number) => `p5-errors__${node}.jsonl:${line}`;
const ALL = NODES.map((n) => n.name);

function walkthrough(c: Captures): Recording {
  const b = new Builder(c, '2026-12-06T23:50:00.000Z');
  // 7. the module
  for (const n of ALL) {
    b.constructed(n, cmd.modprobe, 'source', `modprobe ${SOURCE_QUIET} (the captured guests load drbd at boot: /usr/lib/modules-load.d/drbd.conf, ${P1(n, 19)})`, { ms: 40 });
    b.captured(n, cmd.procDrbd, P1(n, 3));
  }
  // 8. LVM
  for (const n of ALL) b.captured(n, cmd.vgsPvs, P1(n, 27));
  // 10. hostnames
  for (const n of ALL) b.capturedHostname(n, P1(n, 1));
  // 11-12. init, list-nodes
  b.captured('drbd1', cmd.init(ip('drbd1')), P2('drbd1', 4));
  b.captured('drbd1', cmd.listNodes, P2('drbd1', 6));
  b.captured('drbd1', cmd.listNodesMachine, P2('drbd1', 7));
  // 13-15. drbd2
  const add2 = b.captured('drbd1', cmd.addNode('drbd2', ip('drbd2')), P2('drbd1', 12));
  b.captured('drbd1', cmd.listNodes, P2('drbd1', 13));
  b.captured('drbd2', joinCommandToRun(parseJoinCommand(add2.stdout)), P2('drbd2', 2));
  b.captured('drbd1', cmd.listNodes, P2('drbd1', 14));
  // 16. drbd3
  const add3 = b.captured('drbd1', cmd.addNode('drbd3', ip('drbd3')), P2('drbd1', 15));
  b.captured('drbd1', cmd.listNodes, P2('drbd1', 16));
  b.captured('drbd3', joinCommandToRun(parseJoinCommand(add3.stdout)), P2('drbd3', 2));
  b.captured('drbd1', cmd.listNodes, P2('drbd1', 17));
  b.captured('drbd1', cmd.listNodesMachine, P2('drbd1', 18));
  // 17. drbdsetup status
  b.captured('drbd1', cmd.status, P2('drbd1', 19));
  // 18-19. add-resource, add-volume 40GB
  b.captured('drbd1', cmd.addResource, P2('drbd1', 24));
  b.captured('drbd1', cmd.listVolumesPort, P2('drbd1', 25));
  b.captured('drbd1', cmd.addVolume(WALKTHROUGH_VOLUME), P2('drbd1', 27));
  b.captured('drbd1', cmd.listVolumesPort, P2('drbd1', 28));
  // 20. deploy on 2 GiB pools: not enough space; r0 again with 500MB
  b.captured('drbd1', cmd.deploy, P2('drbd1', 32));
  b.captured('drbd1', cmd.listAssignments, P2('drbd1', 33));
  b.captured('drbd1', cmd.removeResource, P2('drbd1', 35));
  b.captured('drbd1', cmd.addResource, P2('drbd1', 38));
  b.captured('drbd1', cmd.addVolume(SMALL_VOLUME), P2('drbd1', 39));
  b.captured('drbd1', cmd.listVolumesPort, P2('drbd1', 40));
  b.captured('drbd1', cmd.listVolumesMachine, P2('drbd1', 41));
  b.captured('drbd1', cmd.deploy, P2('drbd1', 42));
  b.captured('drbd1', cmd.listAssignments, P2('drbd1', 43));
  // 21. mkfs: the blog's /dev/drbd100, then the minor drbdmanage gave
  b.captured('drbd1', cmd.mkfs(deviceOf(WALKTHROUGH_MINOR)), P2('drbd1', 51));
  b.captured('drbd1', cmd.mkfs(deviceOf(R0_MINOR)), P2('drbd1', 61));
  // 22. status
  b.captured('drbd1', cmd.status, P2('drbd1', 62));
  // 23. mount and use (the capture did it in one line with other names: mkdir, mount, tee and cat constructed)
  b.constructed('drbd1', cmd.mkdirMountPoint, 'source', `mkdir -p ${SOURCE_QUIET}`, { ms: 9 });
  b.constructed('drbd1', cmd.mount(deviceOf(R0_MINOR)), 'source', `mount ${SOURCE_QUIET} (the capture mounted ${deviceOf(R0_MINOR)} the same way: ${P2('drbd1', 79)})`, { ms: 87 });
  b.constructed('drbd1', cmd.writeWalkthroughFile, 'source', 'tee echoes what it writes', { stdout: `${WALKTHROUGH_TEXT}\n`, ms: 11 });
  b.constructed('drbd1', cmd.sync, 'source', `sync ${SOURCE_QUIET}`, { ms: 35 });
  b.constructed('drbd1', cmd.cat(WALKTHROUGH_FILE), 'source', 'the file written just before', { stdout: `${WALKTHROUGH_TEXT}\n`, ms: 3 });
  b.captured('drbd1', cmd.drbdadmStatus('r0'), P2('drbd1', 80));
  return b.recording();
}

function reboot(c: Captures): Recording {
  const b = new Builder(c, '2026-12-07T00:02:40.000Z');
  const device = deviceOf(R0_MINOR);
  // 0. r0 deployed, in sync; data written on drbd1, unmounted
  b.captured('drbd1', cmd.listAssignments, P2('drbd1', 82));
  b.captured('drbd1', cmd.listVolumesMachine, P2('drbd1', 65));
  b.captured('drbd1', cmd.drbdadmStatus('r0'), P2('drbd1', 80));
  b.constructed('drbd1', cmd.ensureMounted(device), 'source', `mkdir -p and mount ${SOURCE_QUIET} (r0 was mounted there: ${P2('drbd1', 79)})`, { ms: 12 });
  b.constructed('drbd1', cmd.writeRebootFile, 'source', `dd status=none and sync ${SOURCE_QUIET}`, { ms: 264 });
  b.constructed('drbd1', cmd.sha256(REBOOT_FILE), 'source', 'sha256sum of the file written (any fixed value: the same is read back later)', { stdout: `${REBOOT_SHA}  ${REBOOT_FILE}\n`, ms: 61 });
  b.captured('drbd1', cmd.umountAndStatus, P2('drbd1', 84));
  // 24. units as installed, the server D-Bus activated
  for (const n of ALL) {
    b.captured(n, cmd.isEnabledBoth, P3(n, 2));
    b.captured(n, cmd.statusUnit(DRBDMANAGED), P3(n, 3));
    b.captured(n, cmd.serverProcesses, P3(n, 4));
  }
  // 24. drbd3 rebooted: nothing comes back, OFFLINE to the others
  b.reboot(REBOOTED, P3(REBOOTED, 6), BOOT_WITHOUT_DRBD);
  b.captured(REBOOTED, cmd.isEnabledBoth, P3(REBOOTED, 7));
  b.captured(REBOOTED, cmd.drbdadmStatusAll, P3(REBOOTED, 8));
  b.captured(REBOOTED, cmd.serverProcesses, P3(REBOOTED, 10));
  b.captured('drbd1', cmd.drbdadmStatusAll, P3('drbd1', 5));
  b.captured('drbd1', cmd.listNodes, P3('drbd1', 6));
  // 24. a drbdmanage command on drbd3 brings it back
  b.captured(REBOOTED, cmd.listNodes, P3(REBOOTED, 11));
  b.drbdStarts(REBOOTED);
  b.captured(REBOOTED, cmd.serverProcesses, P3(REBOOTED, 12));
  b.captured(REBOOTED, cmd.drbdadmStatusAll, P3(REBOOTED, 13));
  b.captured('drbd1', cmd.listNodes, P3('drbd1', 8));
  // 25. enabled, rebooted: the boot starts drbdmanaged
  b.captured(REBOOTED, cmd.enable(DRBDMANAGED), P3(REBOOTED, 14));
  b.reboot(REBOOTED, P3(REBOOTED, 15), bootWithR0(REBOOTED));
  b.captured(REBOOTED, cmd.statusUnit(DRBDMANAGED), P3(REBOOTED, 16));
  b.captured(REBOOTED, cmd.drbdadmStatusAll, P3(REBOOTED, 17));
  b.captured(REBOOTED, cmd.drbdadmStatusAll, P3(REBOOTED, 21));
  b.captured(REBOOTED, cmd.journalThisBoot, P3(REBOOTED, 22));
  b.captured('drbd1', cmd.listNodes, P3('drbd1', 10));
  // 25. the resync, from this boot's kernel log (not captured)
  b.constructed(REBOOTED, WHOLE_BOOT_COMMAND, 'source', "this boot's kernel log: DRBD 9.2.18's lines in the formats of the captured kernel log (p2-cluster-setup__drbd2.jsonl:7)", { stdout: b.bootLogs.get(REBOOTED)!, ms: 14 });
  // 25. data intact
  b.constructed('drbd1', cmd.ensureMounted(device), 'source', `mkdir -p and mount ${SOURCE_QUIET}`, { ms: 96 });
  b.constructed('drbd1', cmd.sha256(REBOOT_FILE), 'source', 'sha256sum of the file, unchanged', { stdout: `${REBOOT_SHA}  ${REBOOT_FILE}\n`, ms: 66 });
  b.captured('drbd1', cmd.umountAndStatus, P5('drbd1', 30));
  return b.recording();
}

function hostname(c: Captures): Recording {
  const b = new Builder(c, '2026-12-07T00:06:30.000Z');
  b.captured('drbd1', cmd.listAssignments, P3('drbd1', 11));
  b.captured('drbd1', cmd.listNodes, P4('drbd1', 1));
  // renamed: nothing visible at once, drbdadm lost the host
  b.captured(REBOOTED, cmd.rename(RENAMED), P4(REBOOTED, 1));
  b.captured(REBOOTED, cmd.listNodes, P4(REBOOTED, 2));
  b.captured(REBOOTED, cmd.drbdadmStatusAll, P4(REBOOTED, 3));
  b.captured(REBOOTED, cmd.adjustAll, P4(REBOOTED, 4));
  // drbdmanaged restarted under the new name
  b.constructed(REBOOTED, cmd.isActive(DRBDMANAGED), 'source', `systemctl is-active of the unit the reboot scenario enabled and started (active since its boot: ${P3(REBOOTED, 16)})`, { stdout: 'active\n', ms: 8 });
  b.captured(REBOOTED, cmd.restartUnit(DRBDMANAGED), P4(REBOOTED, 6));
  b.captured(REBOOTED, cmd.listNodes, P4(REBOOTED, 7));
  b.captured(REBOOTED, cmd.journalTail, P4(REBOOTED, 9));
  b.captured('drbd1', cmd.listNodes, P4('drbd1', 2));
  // rebooted under the new name
  b.reboot(REBOOTED, P4(REBOOTED, 10), BOOT_WITHOUT_DRBD);
  b.captured(REBOOTED, cmd.hostname, P4(REBOOTED, 11));
  b.captured(REBOOTED, cmd.drbdadmStatusAll, P4(REBOOTED, 13));
  b.captured('drbd1', cmd.listNodes, P4('drbd1', 3));
  // restored
  b.captured(REBOOTED, cmd.renameBack(REBOOTED), P4(REBOOTED, 17));
  b.reboot(REBOOTED, P4(REBOOTED, 18), bootWithR0(REBOOTED));
  b.captured(REBOOTED, cmd.listNodes, P4(REBOOTED, 20));
  b.captured(REBOOTED, cmd.drbdadmStatusAll, P4(REBOOTED, 19));
  b.captured('drbd1', cmd.listNodes, P4('drbd1', 6));
  return b.recording();
}

function services(c: Captures): Recording {
  const b = new Builder(c, '2026-12-06T23:51:00.000Z');
  for (const n of ALL) b.captured(n, cmd.statusUnit(DRBD_SERVICE), P1(n, 14));
  for (const n of ALL) {
    b.captured(n, cmd.unitFiles, P1(n, 12));
    b.captured(n, cmd.dbusServiceFile, P1(n, 18));
    b.captured(n, cmd.serverProcesses, P3(n, 4));
  }
  return b.recording();
}

/** Every recording this script writes, by file name. */
export function buildRecordings(dir = CAPTURES_DIR): Map<string, Recording> {
  const captures = new Captures(dir);
  return new Map(
    (
      [
        ['walkthrough', walkthrough],
        ['reboot', reboot],
        ['hostname', hostname],
        ['services', services],
      ] as const
    ).map(([name, make]) => [`${name}.${PROFILE}.json`, make(captures)]),
  );
}

export const recordingText = (r: Recording) => `${JSON.stringify(r, null, 1)}\n`;

function main(): void {
  const check = process.argv.includes('--check');
  mkdirSync(OUT_DIR, { recursive: true });
  let differ = 0;
  for (const [name, recording] of buildRecordings()) {
    const file = join(OUT_DIR, name);
    const counts = { captured: 0, blog: 0, source: 0 };
    for (const r of recording.commands) counts[r.provenance!.kind]++;
    const summary = `${recording.commands.length} records: ${counts.captured} captured, ${counts.blog} constructed from the blog, ${counts.source} constructed from source`;
    if (check) {
      let now = '';
      try {
        now = readFileSync(file, 'utf8');
      } catch {
        // missing: differs
      }
      if (now !== recordingText(recording)) {
        differ++;
        console.log(`${file.slice(ROOT.length + 1)}: differs from what the captures give (${summary})`);
      }
      continue;
    }
    writeFileSync(file, recordingText(recording));
    console.log(`${file.slice(ROOT.length + 1)}: ${summary}`);
  }
  if (differ > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
