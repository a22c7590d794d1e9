import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';

/** Which of these hosts cannot be reached (empty: all can). */
export type HostProbe = (hosts: string[]) => Promise<string[]>;

/**
 * Name lookup first, then a TCP connect to 443 with a short deadline. Where names do not
 * resolve (an offline runner), nothing is ever sent to a public address.
 */
export const probeHosts: HostProbe = async (hosts) => {
  if (process.env.DRBDLAB_OFFLINE === '1') return hosts;
  const results = await Promise.all(hosts.map(async (h) => ((await reachable(h)) ? undefined : h)));
  return results.filter((h): h is string => !!h);
};

async function reachable(host: string, timeoutMs = 5_000): Promise<boolean> {
  let address: string;
  try {
    address = (await Promise.race([lookup(host), new Promise<never>((_, r) => setTimeout(() => r(new Error('dns timeout')), timeoutMs))])).address;
  } catch {
    return false;
  }
  return new Promise((resolve) => {
    const s = connect({ host: address, port: 443, timeout: timeoutMs });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}
