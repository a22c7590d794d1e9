// Kernel health over a whole scenario: every node's kernel log from the scenario's start to its
// end, every boot of it. The scenario's nodes are watched: before a reboot or a power cut what the
// node logged so far is read (a power cut loses it, a reboot takes it out of dmesg); after a reboot
// the end of the boot before is read from its journal (the shutdown included). Reads fail closed
// (lib/drbd/kernel-log.ts: positions). Hits and unread windows are kept and reported at the end,
// every node's, together.
import * as allure from 'allure-js-commons';
import { KernelLogError, KernelLogLostError, KernelLogUncheckedError, RemoteCommandError, type KernelLogHitAt, type KernelLogUnread } from '../errors.js';
import {
  BOOT_ID_COMMAND, bootStart, entryAt, journalAfterCommand, journalAtCommand, journalLines, linesAfter, MARK_COMMAND, parseBootId, parseJournalJson,
  parseKernelLogMark, parsePosition, POSITION_COMMAND, readFromCommand, scanKernelLog, stampMicros,
  type KernelLogMark, type KernelLogPosition,
} from '../drbd/kernel-log.js';
import { onEach, settleEach } from './on-each.js';
import { withNodes, type ScenarioLab, type ScenarioNode } from './scenario-lab.js';

const HARNESS = { kind: 'infrastructure' } as const;

/** What a node logged in one window of the scenario. */
interface Window {
  name: string;
  lines: string[];
  note?: string;
}

/** One node as the check follows it. */
interface Watch {
  position: KernelLogPosition;
  /** Powered off and not on again: its log was read before the cut. */
  off?: string;
  /** The last boot whose power was cut: its end is read from no journal. */
  cutBoot?: string;
  reboots: number;
  powerCuts: number;
  windows: Window[];
  hits: KernelLogHitAt[];
  unread: KernelLogUnread[];
}

export interface KernelHealthOptions {
  /** Report attachments (Allure in a scenario). */
  attach?: (name: string, text: string) => Promise<void>;
  /** What is watched, for window and attachment names: "the scenario" (default), "the steps of the starting point r0-up". */
  what?: string;
}

/**
 * Watches the kernel logs of a lab's nodes. `lab` is the lab to give the scenario: the same
 * nodes, whose reboot and power-off read the log first (the one place every scenario's faults go
 * through). `check()` reads every node to the end and throws what was found, all of it.
 */
export class KernelHealth {
  readonly lab: ScenarioLab;
  private readonly watches = new Map<string, Watch>();
  private readonly what: string;

  private constructor(
    private readonly inner: ScenarioLab,
    positions: ReadonlyMap<string, KernelLogPosition>,
    private readonly opts: KernelHealthOptions,
  ) {
    this.what = opts.what ?? 'the scenario';
    for (const [name, position] of positions) this.watches.set(name, { position, reboots: 0, powerCuts: 0, windows: [], hits: [], unread: [] });
    const nodes = inner.nodes.map((n) => this.watched(n));
    this.lab = withNodes(inner, nodes);
  }

  /** Marks where every node's log stands; a node that cannot be marked cannot be checked: thrown, all of them. */
  static async start(lab: ScenarioLab, opts: KernelHealthOptions = {}): Promise<KernelHealth> {
    const settled = await settleEach(lab.nodes, async (n) => {
      const r = await n.exec(POSITION_COMMAND, HARNESS);
      const p = parsePosition(r.stdout);
      if (!p) throw new RemoteCommandError(n.name, POSITION_COMMAND, r.exitCode, r.stdout, 'expected a boot id and the last dmesg line, numbered', 'infrastructure');
      return p;
    });
    const failed = settled.flatMap((s) => (s.ok ? [] : [{ node: s.node.name, window: 'mark at the start', error: s.error }]));
    if (failed.length > 0) throw new KernelLogUncheckedError(failed);
    return new KernelHealth(lab, new Map(settled.map((s) => [s.node.name, (s as { value: KernelLogPosition }).value])), opts);
  }

  private watched(n: ScenarioNode): ScenarioNode {
    const w = () => this.watches.get(n.name)!;
    return {
      name: n.name,
      replicationIp: n.replicationIp,
      exec: (c, o) => n.exec(c, o),
      output: (c, o) => n.output(c, o),
      consoleLog: () => n.consoleLog(),
      replicationLink: (state) => n.replicationLink(state),
      reboot: async () => {
        const k = ++w().reboots;
        await this.catchUp(n, `before reboot ${k}`);
        await n.reboot();
        await this.catchUp(n, `reboot ${k}: the new boot until it answered`, `reboot ${k}: the end of the boot before (its journal)`);
      },
      powerOff: async () => {
        const k = ++w().powerCuts;
        await this.catchUp(n, `before power cut ${k}`);
        await n.powerOff();
        w().off = `power cut ${k}`;
        w().cutBoot = w().position.bootId;
      },
      powerOn: async () => {
        // No longer "off" even if the power-on fails (a boot that timed out): the end reads it.
        const cut = w().off ?? 'power on';
        w().off = undefined;
        await n.powerOn();
        await this.catchUp(n, `${cut}: the new boot until it answered`, `${cut}: the end of the boot before`);
      },
    };
  }

  private async bootIdOf(n: ScenarioNode, window: string): Promise<string | null> {
    try {
      const out = await n.output(BOOT_ID_COMMAND, HARNESS);
      const id = parseBootId(out);
      if (!id) throw new RemoteCommandError(n.name, BOOT_ID_COMMAND, 0, out, 'expected a boot id', 'infrastructure');
      return id;
    } catch (error) {
      this.watches.get(n.name)!.unread.push({ node: n.name, window, error });
      return null;
    }
  }

  /**
   * Read the node's log from its position to now and scan it. Another boot than the position's:
   * the rest of that boot from its journal first (`journalWindow`), then this boot from its first
   * line. What cannot be read is kept as unread; nothing is thrown (a fault step goes on).
   */
  private async catchUp(n: ScenarioNode, window: string, journalWindow = `${window}: the end of the boot before (its journal)`): Promise<void> {
    const watch = this.watches.get(n.name)!;
    const id = await this.bootIdOf(n, window);
    if (id === null) return;
    if (id !== watch.position.bootId) {
      if (watch.cutBoot === watch.position.bootId) {
        // The end of a boot whose power was cut is in no log (the journal's last writes went with
        // the page cache): it was read up to the cut.
        watch.windows.push({ name: journalWindow, lines: [], note: 'the power was cut: read up to the cut, the rest is in no log' });
      } else if (!(await this.readJournal(n, watch, journalWindow))) {
        // The position stays in the boot before: the next read tries its journal again.
        return;
      }
      watch.position = bootStart(id);
    }
    try {
      const command = readFromCommand(watch.position);
      const r = await n.exec(command, HARNESS);
      const read = linesAfter(watch.position, r.stdout);
      if (!read.ok) throw new KernelLogLostError(n.name, `dmesg of boot ${watch.position.bootId}`, read.expected, read.found);
      this.keep(n.name, watch, window, read.lines);
      watch.position = read.position;
    } catch (error) {
      watch.unread.push({ node: n.name, window, error });
    }
  }

  /** The rest of the position's boot, from its journal: false when it cannot be read. */
  private async readJournal(n: ScenarioNode, watch: Watch, window: string): Promise<boolean> {
    const p = watch.position;
    try {
      let cursor: string | undefined;
      if (p.line > 0) {
        if (stampMicros(p.text) === null) throw new KernelLogLostError(n.name, `journal of boot ${p.bootId}`, `a [seconds.micros] stamp on line ${p.line}`, p.text);
        const at = await this.journal(n, journalAtCommand(p));
        const entry = entryAt(at, p);
        if (!entry) throw new KernelLogLostError(n.name, `journal of boot ${p.bootId}`, `line ${p.line}: ${p.text}`, at.length === 0 ? 'no entry with its timestamp' : journalLines(at).join(' | '));
        cursor = entry.cursor;
      }
      const rest = await this.journal(n, journalAfterCommand(p.bootId, cursor));
      this.keep(n.name, watch, window, journalLines(rest));
      return true;
    } catch (error) {
      watch.unread.push({ node: n.name, window, error });
      return false;
    }
  }

  private async journal(n: ScenarioNode, command: string) {
    const r = await n.exec(command, HARNESS);
    const entries = parseJournalJson(r.stdout);
    if (!entries) throw new RemoteCommandError(n.name, command, r.exitCode, r.stdout, 'expected journal entries as JSON, one a line', 'infrastructure');
    return entries;
  }

  private keep(node: string, watch: Watch, window: string, lines: string[]): void {
    watch.windows.push({ name: window, lines });
    for (const h of scanKernelLog(lines.join('\n'))) watch.hits.push({ node, line: h.line, pattern: h.pattern, window });
  }

  /**
   * After the scenario (passed or not): every node read to the end, every window attached, then
   * a product failure if any line is a hit (unread windows named with it), an infrastructure
   * failure if some window could not be read. `failure`: the scenario's own error, kept as cause.
   */
  async check(failure?: unknown): Promise<void> {
    // Every node at once; catchUp keeps what fails instead of throwing, so no node hides another
    // (and whatever else throws is kept as unread, never dropped).
    const window = `until the end of ${this.what}`;
    const settled = await settleEach(this.inner.nodes, async (n) => {
      const watch = this.watches.get(n.name)!;
      if (watch.off) watch.windows.push({ name: window, lines: [], note: `powered off since ${watch.off}: read up to the cut` });
      else await this.catchUp(n, window);
    });
    for (const s of settled) if (!s.ok) this.watches.get(s.node.name)!.unread.push({ node: s.node.name, window, error: s.error });
    const hits: KernelLogHitAt[] = [];
    const unread: KernelLogUnread[] = [];
    for (const n of this.inner.nodes) {
      const watch = this.watches.get(n.name)!;
      hits.push(...watch.hits);
      unread.push(...watch.unread);
      await this.opts.attach?.(`kernel log during ${this.what}: ${n.name}`, renderWindows(watch));
    }
    const cause = failure === undefined ? {} : { cause: failure };
    if (hits.length > 0) throw new KernelLogError(hits, { ...cause, unread });
    if (unread.length > 0) throw new KernelLogUncheckedError(unread, cause);
  }
}

function renderWindows(w: Watch): string {
  const parts = w.windows.map((x) => `--- ${x.name}: ${x.lines.length} line(s)${x.note ? ` (${x.note})` : ''} ---\n${x.lines.join('\n')}`);
  for (const u of w.unread) parts.push(`--- ${u.window}: NOT READ ---\n${u.error instanceof Error ? u.error.message : String(u.error)}`);
  return `${parts.join('\n')}\n`;
}

/** Allure attachments, for KernelHealthOptions.attach. */
export const allureAttach = (name: string, text: string) => Promise.resolve(allure.attachment(name, text, 'text/plain'));

// ---------------------------------------------------------------------------------------------
// Line-count marks: a step's own read of what DRBD logged since a moment (faults.ts resyncSince).

export type KernelLogMarks = Map<string, KernelLogMark>;

/** Where each node's kernel log stands now, in `dmesg --notime` lines, to read what it logs after. */
export async function markKernelLogs(nodes: readonly ScenarioNode[]): Promise<KernelLogMarks> {
  const marks = await onEach(nodes, async (n) => {
    const r = await n.exec(MARK_COMMAND, { kind: 'infrastructure' });
    const mark = parseKernelLogMark(r.stdout);
    if (!mark) throw new RemoteCommandError(n.name, MARK_COMMAND, r.exitCode, r.stdout, 'expected a boot id and a line count', 'infrastructure');
    return [n.name, mark] as const;
  });
  return new Map(marks);
}
