// A fault scenario that fails in the middle of its fault (a replication link cut, a node's power
// off) still leaves nothing of its lab on the host: the restored cluster goes the way every
// failed real scenario's goes (scenarioTargets → open → close(false) → releaseRestored → down).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { loadConfig, profileSettings, type Config } from '../../lib/config/config.js';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import { Debian12Profile } from '../../lib/image/debian12-profile.js';
import { bridgeName, networkName } from '../../lib/lab/identity.js';
import { Lab } from '../../lib/lab/lab.js';
import { realHost } from '../../lib/lab/lab-host.js';
import { labPaths } from '../../lib/lab/paths.js';
import { readState } from '../../lib/lab/state.js';
import { DomainFaults } from '../../lib/libvirt/domain-faults.js';
import { Virsh } from '../../lib/libvirt/virsh.js';
import { scenarioTargets } from '../../lib/scenario/targets.js';
import { planRun } from '../../lib/snapshot/cluster-snapshot.js';
import { wireRunPlan, type RunPlan } from '../../lib/lab/run-plan.js';

let plan: RunPlan;
let run: Config;

beforeAll(async () => {
  // The run's configuration (DRBDLAB_ACCEL, offline, mirrors, folders, the snapshot cache's bound), as the CLI reads it.
  run = await loadConfig();
  const lab = new Lab(await loadLabConfig(DEFAULT_CONFIG), Debian12Profile.create(profileSettings(run)), realHost(run.paths), run.accel);
  ({ plan } = await planRun(lab, { progress: (m) => console.log(`[snapshot] ${m}`), cacheMaxBytes: run.snapshotCacheGiB * 1024 ** 3 }));
});

/** Host interfaces (bridge, taps) of the lab: its bridge, and anything enslaved to it. */
function hostInterfaces(labId: string): string[] {
  const bridge = bridgeName(labId);
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(` ${bridge}:`) || l.includes(` master ${bridge} `))
    .map((l) => l.split(':')[1]!.trim());
}

it('a scenario that fails with a link cut and a node powered off leaves no domain, network, interface or folder', async () => {
  // No keep: a kept failed lab is the one exception, not tested here.
  const [target] = scenarioTargets('fault-teardown', { mode: 'real', plan: wireRunPlan(plan), profile: 'debian12-drbd84', runDir: mkdtempSync(join(tmpdir(), 'fault-teardown-')), folders: run.paths });
  const open = await target!.open();
  const labId = open.lab.labels['labId']!;
  const state = (await readState(run.paths.state, labId))!;
  const virsh = new Virsh(state.libvirtUri);
  const [n1, n2] = state.nodes;

  // The faults, as a scenario injects them, and seen from the host.
  await open.lab.node('drbd1').replicationLink('down');
  await open.lab.node('drbd2').powerOff();
  expect(await new DomainFaults(virsh, n1!.domain, state.network).replicationLink()).toBe('down');
  expect(await virsh.domainState(n2!.domain)).toBe('shut off');
  expect(hostInterfaces(labId).length).toBeGreaterThan(0);

  // The scenario failed here: what defineScenario does next.
  await open.close(false);

  const domains = (await virsh.listDomains()).filter((d) => d.includes(labId));
  expect(domains, 'domains of the lab').toEqual([]);
  expect((await virsh.listNetworks()).filter((n) => n === networkName(labId)), 'its replication network').toEqual([]);
  expect(hostInterfaces(labId), 'its bridge and taps (and with them any link state)').toEqual([]);
  expect(existsSync(labPaths(run.paths.state, labId).dir), 'its folder').toBe(false);
});
