// Cluster snapshots on this host's libvirt: two clusters restored at once from one snapshot are
// ready, apart (names, ports, networks, disks), on the host's time, and leave the snapshot as it was.
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { loadConfig, profileSettings } from '../../lib/config/config.js';
import { Debian12Profile } from '../../lib/image/debian12-profile.js';
import { Lab } from '../../lib/lab/lab.js';
import { realHost } from '../../lib/lab/lab-host.js';
import type { StartedLab } from '../../lib/lab/started-lab.js';
import { Virsh } from '../../lib/libvirt/virsh.js';
import { planRun, type ClusterSnapshot } from '../../lib/snapshot/cluster-snapshot.js';
import { snapshotPaths } from '../../lib/snapshot/store.js';

let snapshot: ClusterSnapshot;
let labs: StartedLab[] = [];
let diskBefore: { size: number; mtimeMs: number };

beforeAll(async () => {
  // The run's configuration (DRBDLAB_ACCEL, offline, mirrors, folders, the snapshot cache's bound), as the CLI reads it.
  const run = await loadConfig();
  const lab = new Lab(await loadLabConfig(DEFAULT_CONFIG), Debian12Profile.create(profileSettings(run)), realHost(run.paths), run.accel);
  ({ snapshot } = await planRun(lab, { progress: (m) => console.log(`[snapshot] ${m}`), cacheMaxBytes: run.snapshotCacheGiB * 1024 ** 3 }));
  diskBefore = await stat(snapshotPaths(snapshot.dir).rootDisk('drbd1'));
  labs = await Promise.all([0, 1].map(() => snapshot.restore({ progress: (m) => console.log(`[restore] ${m}`) })));
});

afterAll(async () => {
  for (const l of labs) await l.down();
});

describe('two clusters restored at once from one snapshot', () => {
  it('are ready with their own names, forwarded ports and replication networks', async () => {
    const [a, b] = labs as [StartedLab, StartedLab];
    expect(a.id).not.toBe(b.id);
    const ports = [...a.state.nodes, ...b.state.nodes].map((n) => n.sshPort);
    expect(new Set(ports).size).toBe(6);
    expect(a.state.network).not.toBe(b.state.network);
    const virsh = new Virsh(a.state.libvirtUri);
    for (const l of labs) {
      for (const n of l.nodeList) {
        expect(await virsh.domainState(n.info.domain)).toBe('running');
        // Persistent, not a transient restore: a power-off and start (fault scenarios) must work.
        expect(await virsh.run(['dominfo', n.info.domain])).toMatch(/Persistent:\s+yes/);
        expect(await n.output('hostname')).toBe(n.name);
      }
      // Guest to guest over the cluster's own isolated network.
      expect((await l.node('drbd1').exec('ping -c1 -W5 10.255.255.103', { check: false })).exitCode).toBe(0);
    }
  });

  it('run on the host\'s time, not the time the snapshot was saved', async () => {
    // Without the setting a guest's clock is as far behind as the snapshot is old.
    const savedAt = (await stat(snapshotPaths(snapshot.dir).memory('drbd1'))).mtimeMs;
    for (const n of labs.flatMap((l) => l.nodeList)) {
      const before = Date.now();
      const guest = Number(await n.output('date +%s%3N'));
      const after = Date.now();
      // Half the round trip is what a reading can tell; on top, what a TCG guest on a loaded host
      // lags by (seconds), but never as much as half the snapshot's age, so a clock left at the
      // save still fails.
      const slack = Math.min(3000, (before - savedAt) / 2);
      expect(Math.abs(guest - (before + after) / 2), `${n.name} clock (snapshot saved ${Math.round((before - savedAt) / 1000)} s before)`).toBeLessThan((after - before) / 2 + slack);
    }
  });

  it('start no timer job: a snapshot a day old would fire persistent daily timers at every restore', async () => {
    // dpkg-db-backup did: 11 s of CPU per node while the scenario began (the image masks it).
    for (const n of labs.flatMap((l) => l.nodeList)) {
      expect(await n.output('systemctl list-units --type=timer --state=active --plain --no-legend'), `${n.name}: active timers`).toBe('');
    }
  });

  it('have disks of their own: a write in one cluster is not seen in the other, nor in the snapshot', async () => {
    const [a, b] = labs as [StartedLab, StartedLab];
    await a.node('drbd1').exec(`echo ${a.id} | sudo tee /var/tmp/written-by >/dev/null && sync`);
    expect((await b.node('drbd1').exec('cat /var/tmp/written-by', { check: false })).exitCode).not.toBe(0);
    const after = await stat(snapshotPaths(snapshot.dir).rootDisk('drbd1'));
    expect({ size: after.size, mtimeMs: after.mtimeMs }).toEqual({ size: diskBefore.size, mtimeMs: diskBefore.mtimeMs });
  });
});
