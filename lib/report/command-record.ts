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
