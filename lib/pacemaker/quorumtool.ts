// `corosync-quorumtool -s` read into what the scenario waits for: quorate, with how many votes.
import { PacemakerParseError } from './parse-error.js';

export interface QuorumStatus {
  quorate: boolean;
  totalVotes: number;
  expectedVotes: number;
  /** Node names (or ids) of the membership list. */
  members: string[];
}

export function parseQuorumtool(text: string): QuorumStatus {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}:\\s+(.+)$`, 'mu').exec(text);
    if (!m) throw new PacemakerParseError('corosync-quorumtool', `no "${name}:" line`);
    return m[1]!.trim();
  };
  const quorate = field('Quorate');
  if (quorate !== 'Yes' && quorate !== 'No') throw new PacemakerParseError('corosync-quorumtool', `Quorate: ${JSON.stringify(quorate)}`);
  const num = (name: string) => {
    const v = Number(field(name));
    if (!Number.isInteger(v)) throw new PacemakerParseError('corosync-quorumtool', `${name}: not a number`);
    return v;
  };
  // Membership information table: "    Nodeid      Votes Name" then one row per member.
  const table = text.split(/^Membership information\n-+\n/mu)[1] ?? '';
  const members = table
    .split('\n')
    .map((l) => /^\s*\d+\s+\d+\s+(\S+)(?:\s+\(local\))?\s*$/u.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
  return { quorate: quorate === 'Yes', totalVotes: num('Total votes'), expectedVotes: num('Expected votes'), members };
}
