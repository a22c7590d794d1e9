// libvirt behind a port, as LINBIT's virter keeps it behind LibvirtConnection: the lab logic
// (start, fallback, teardown, reaper, snapshots) talks to this interface; `Virsh` is the real
// one, and an in-memory fake (fake-libvirt.ts, for tests) records calls and fails on request.
import { VirshError } from './virsh-error.js';

export type LinkState = 'up' | 'down';

/** What the lab asks of libvirt. Every method is one virsh command; failures are VirshErrors. */
export interface Libvirt {
  readonly uri: string;

  /** `virsh version`: libvirt and QEMU versions (a hypervisor verdict depends on them). */
  version(opts?: { timeoutMs?: number }): Promise<string>;
  /** `virsh domcapabilities --virttype <type>`: what QEMU offers under it (CPU models). */
  domainCapabilities(virtType: 'kvm'): Promise<string>;

  /** Every domain's name, running or not. */
  listDomains(): Promise<string[]>;
  /** `running`, `shut off`, `paused`…; undefined when there is no such domain. */
  domainState(name: string): Promise<string | undefined>;
  /** The domain's XML; undefined when there is no such domain. */
  domainXml(name: string): Promise<string | undefined>;
  /** Define (or re-define in place: same name and uuid) a domain from an XML file. */
  define(xmlFile: string, opts?: { timeoutMs?: number }): Promise<void>;
  undefine(name: string, opts?: { nvram?: boolean }): Promise<void>;
  start(name: string): Promise<void>;
  /** Kill its QEMU (no shutdown in the guest). */
  destroy(name: string): Promise<void>;
  suspend(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** Save memory and device state to `file`; the domain is shut off afterwards. */
  save(name: string, file: string): Promise<void>;
  /** Start a domain from a save image, under the name and uuid of `xmlFile` (which must match the image's). */
  restore(file: string, xmlFile: string, opts: { paused: boolean }): Promise<void>;
  /** Replace one namespaced metadata element, in the definition (and the running domain). */
  setMetadata(name: string, uri: string, key: string, xml: string, opts: { live: boolean }): Promise<void>;
  setLink(name: string, mac: string, state: LinkState): Promise<void>;
  /** `domif-getlink` output: `<target> <state>`. */
  linkState(name: string, mac: string): Promise<string>;
  /** `virsh domstats --cpu-total`: the CPU seconds its QEMU has used since it started (a restore starts a new QEMU). */
  cpuSeconds(name: string): Promise<number>;
  /** The last meaningful line QEMU left in libvirt's per-domain log ('' when none). */
  qemuLogTail(name: string): Promise<string>;

  /** Network names; every defined one, or only the active ones. */
  listNetworks(opts?: { activeOnly?: boolean }): Promise<string[]>;
  defineNetwork(xmlFile: string): Promise<void>;
  startNetwork(name: string): Promise<void>;
  destroyNetwork(name: string): Promise<void>;
  undefineNetwork(name: string): Promise<void>;

  /** The command that attaches a terminal to a domain's serial console (interactive). */
  consoleCommand(name: string): [string, string[]];
}

/**
 * Run a call on an object that may be gone already (teardown is idempotent): true when it
 * acted, false when libvirt says there is no such object or it is not running.
 */
export async function ifPresent(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (err) {
    if (err instanceof VirshError && (err.failure === 'not-found' || err.failure === 'not-running')) return false;
    throw err;
  }
}
