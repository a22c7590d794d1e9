/** One remote command as it ran: the unit of transcripts, reports and replay. */
export interface CommandRecord {
  seq: number;
  node: string;
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  startedAt: string;
  durationMs: number;
  /** The command gave no answer within its deadline (CommandTimeoutError); exitCode is null. */
  timedOut?: boolean;
  /** A replayed output that no run of this scenario printed: where it comes from instead. */
  provenance?: OutputProvenance;
}

/**
 * Where a replayed output comes from, in a recording built from captures or constructed:
 * captured (a real program run elsewhere, by hand: the capture named), or constructed from the
 * blog's printed text, or from the program's source and formats.
 */
export interface OutputProvenance {
  kind: 'captured' | 'blog' | 'source';
  /** The capture (`file:line`, and the command as captured where it differs), or what the output was built from. */
  from: string;
}

/** How a transcript names it: `captured: p2-cluster-setup__drbd1.jsonl:4 …`, `constructed from the blog: …`. */
export function describeProvenance(p: OutputProvenance): string {
  return `${p.kind === 'captured' ? 'captured' : p.kind === 'blog' ? 'constructed from the blog' : 'constructed from source'}: ${p.from}`;
}

export interface CommandSink {
  record(entry: Omit<CommandRecord, 'seq'>): Promise<void> | void;
}

/** Secrets (drbdmanage join passphrases) never reach a report. */
export class Redactor {
  private readonly secrets = new Set<string>();
  add(secret: string): void {
    if (secret.length >= 4) this.secrets.add(secret);
  }
  apply(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('<redacted>');
    return out;
  }
}
