import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';

/** Which of these hosts cannot be reached (empty: all can). */
export type HostProbe = (hosts: string[]) => Promise<string[]>;

/**
 * Names first, all of them; a TCP connect to 443 only when every name resolves. Where any name
 * does not resolve (an offline runner), the profile cannot run anyway and nothing is sent.
 */
export const probeHosts: HostProbe = async (hosts) => {
  const resolved = await Promise.all(hosts.map(async (h) => ({ host: h, address: await resolve(h) })));
  const unresolved = resolved.filter((r) => !r.address).map((r) => r.host);
  if (unresolved.length > 0) return unresolved;
  const answers = await Promise.all(resolved.map(async (r) => ((await answers443(r.address!)) ? undefined : r.host)));
  return answers.filter((h): h is string => !!h);
};

async function resolve(host: string, timeoutMs = 5_000): Promise<string | undefined> {
  try {
    const r = await Promise.race([lookup(host), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('dns timeout')), timeoutMs))]);
    return r.address;
  } catch {
    return undefined;
  }
}

function answers443(address: string, timeoutMs = 5_000): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host: address, port: 443, timeout: timeoutMs });
    s.once('connect', () => (s.destroy(), done(true)));
    s.once('timeout', () => (s.destroy(), done(false)));
    s.once('error', () => done(false));
  });
}
