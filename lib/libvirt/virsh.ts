import { HostCommandError } from '../errors.js';
import { run, type RunOptions } from '../exec/run.js';
import type { Libvirt, LinkState } from './libvirt.js';
import { qemuLogTail } from './qemu-log.js';
import { parseCpuTotal } from './domstats.js';
import { classifyVirshError, VirshError } from './virsh-error.js';

export { classifyVirshError, VirshError } from './virsh-error.js';

/** A save or restore moves a guest's whole memory: minutes under a loaded host. */
const SAVE_RESTORE_TIMEOUT_MS = 300_000;

/** The one place virsh is run: the real Libvirt. */
export class Virsh implements Libvirt {
  constructor(readonly uri: string) {}

  async run(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    try {
      const r = await run('virsh', ['-c', this.uri, '-q', ...args], { timeoutMs: 120_000, detached: true, ...opts });
      return r.stdout;
    } catch (err) {
      if (err instanceof HostCommandError) throw new VirshError(err, classifyVirshError(err.stderr));
      throw err;
    }
  }

  /** Like run(), but a missing object is not an error (for idempotent teardown). */
  async runIfExists(args: readonly string[]): Promise<string | undefined> {
    try {
      return await this.run(args);
    } catch (err) {
      if (err instanceof VirshError && (err.failure === 'not-found' || err.failure === 'not-running')) return undefined;
      throw err;
    }
  }

  version(opts: { timeoutMs?: number } = {}): Promise<string> {
    return this.run(['version'], opts);
  }

  domainCapabilities(virtType: 'kvm'): Promise<string> {
    return this.run(['domcapabilities', '--virttype', virtType], { timeoutMs: 60_000 });
  }

  async listDomains(): Promise<string[]> {
    return lines(await this.run(['list', '--all', '--name']));
  }

  async domainState(name: string): Promise<string | undefined> {
    return (await this.runIfExists(['domstate', name]))?.trim();
  }

  async domainXml(name: string): Promise<string | undefined> {
    return this.runIfExists(['dumpxml', name]);
  }

  async define(xmlFile: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    await this.run(['define', xmlFile], opts);
  }

  async undefine(name: string, opts: { nvram?: boolean } = {}): Promise<void> {
    await this.run(['undefine', name, ...(opts.nvram ? ['--nvram'] : [])]);
  }

  async start(name: string): Promise<void> {
    await this.run(['start', name]);
  }

  async destroy(name: string): Promise<void> {
    await this.run(['destroy', name]);
  }

  async suspend(name: string): Promise<void> {
    await this.run(['suspend', name]);
  }

  async resume(name: string): Promise<void> {
    await this.run(['resume', name]);
  }

  async save(name: string, file: string): Promise<void> {
    await this.run(['save', name, file], { timeoutMs: SAVE_RESTORE_TIMEOUT_MS });
  }

  async restore(file: string, xmlFile: string, opts: { paused: boolean }): Promise<void> {
    await this.run(['restore', file, '--xml', xmlFile, ...(opts.paused ? ['--paused'] : [])], { timeoutMs: SAVE_RESTORE_TIMEOUT_MS });
  }

  async setMetadata(name: string, uri: string, key: string, xml: string, opts: { live: boolean }): Promise<void> {
    await this.run(['metadata', name, uri, '--key', key, '--set', xml, '--config', ...(opts.live ? ['--live'] : [])]);
  }

  async setLink(name: string, mac: string, state: LinkState): Promise<void> {
    await this.run(['domif-setlink', name, mac, state]);
  }

  linkState(name: string, mac: string): Promise<string> {
    return this.run(['domif-getlink', name, mac]);
  }

  async cpuSeconds(name: string): Promise<number> {
    return parseCpuTotal(await this.run(['domstats', '--cpu-total', name]));
  }

  qemuLogTail(name: string): Promise<string> {
    return qemuLogTail(name);
  }

  async listNetworks(opts: { activeOnly?: boolean } = {}): Promise<string[]> {
    return lines(await this.run(['net-list', ...(opts.activeOnly ? [] : ['--all']), '--name']));
  }

  async defineNetwork(xmlFile: string): Promise<void> {
    await this.run(['net-define', xmlFile]);
  }

  async startNetwork(name: string): Promise<void> {
    await this.run(['net-start', name]);
  }

  async destroyNetwork(name: string): Promise<void> {
    await this.run(['net-destroy', name]);
  }

  async undefineNetwork(name: string): Promise<void> {
    await this.run(['net-undefine', name]);
  }

  consoleCommand(name: string): [string, string[]] {
    return ['virsh', ['-c', this.uri, 'console', name]];
  }
}

function lines(s: string): string[] {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
