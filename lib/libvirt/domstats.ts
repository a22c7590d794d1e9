// What `virsh domstats` says of a domain, parsed: pure, for the port (virsh.ts).
import { ParseError } from '../errors.js';

/** `virsh domstats --cpu-total` → the guest's CPU time in seconds (`cpu.time` is in ns). */
export function parseCpuTotal(text: string): number {
  const m = /^\s*cpu\.time=(\d+)\s*$/mu.exec(text);
  if (!m) throw new ParseError('virsh domstats', 'no cpu.time', `virsh domstats: no cpu.time in ${JSON.stringify(text.trim().slice(0, 200))}`);
  return Number(m[1]) / 1e9;
}
