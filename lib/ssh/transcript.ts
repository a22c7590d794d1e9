import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeProvenance, Redactor, type CommandRecord, type CommandSink } from './command-record.js';

/**
 * Writes every remote command to `<dir>/commands.jsonl` and one log file per command
 * (`<dir>/<node>/0007-drbdadm-status.log`), as LINBIT's vmshed keeps one log per VM command.
 */
export class Transcript implements CommandSink {
  private seq = 0;
  readonly records: CommandRecord[] = [];
  constructor(
    readonly dir: string,
    readonly redactor = new Redactor(),
  ) {}

  /**
   * Register a secret learnt from output already recorded (drbdmanage prints the join
   * passphrase before anyone can know it): scrub the kept records and rewrite their files.
   */
  async addSecret(secret: string): Promise<void> {
    this.redactor.add(secret);
    if (!this.records.some((r) => [r.command, r.stdout, r.stderr].some((t) => t.includes(secret)))) return;
    for (const r of this.records) {
      r.command = this.redactor.apply(r.command);
      r.stdout = this.redactor.apply(r.stdout);
      r.stderr = this.redactor.apply(r.stderr);
    }
    await writeFile(join(this.dir, 'commands.jsonl'), this.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    for (const r of this.records) await writeFile(this.logPath(r), formatRecord(r));
  }

  private logPath(r: CommandRecord): string {
    return join(this.dir, r.node, `${String(r.seq).padStart(4, '0')}-${slug(r.command)}.log`);
  }

  async record(entry: Omit<CommandRecord, 'seq'>): Promise<void> {
    const r: CommandRecord = {
      ...entry,
      seq: ++this.seq,
      command: this.redactor.apply(entry.command),
      stdout: this.redactor.apply(entry.stdout),
      stderr: this.redactor.apply(entry.stderr),
    };
    this.records.push(r);
    const nodeDir = join(this.dir, r.node);
    await mkdir(nodeDir, { recursive: true });
    await appendFile(join(this.dir, 'commands.jsonl'), `${JSON.stringify(r)}\n`);
    await writeFile(this.logPath(r), formatRecord(r));
  }
}

export function formatRecord(r: CommandRecord): string {
  return [
    `# ${r.node}$ ${r.command}`,
    `# started ${r.startedAt}, ${r.durationMs} ms, exit ${r.exitCode ?? 'none'}`,
    // A replayed output no run of this scenario printed says where it comes from.
    ...(r.provenance ? [`# output ${describeProvenance(r.provenance)}`] : []),
    r.stdout ? `${r.stdout.replace(/\n?$/, '\n')}` : '',
    r.stderr ? `# stderr:\n${r.stderr.replace(/\n?$/, '\n')}` : '',
  ].join('\n');
}

function slug(command: string): string {
  return command
    .replace(/^sudo\s+/, '')
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40) || 'command';
}
