// A starting point holds nothing only in memory. A later point whose steps write a file and save
// at once (no sync of their own), restored, its node's power cut from the host right away: after
// the boot the file is on the node's disk as written. Without the sync before the save the page
// cache held it and the cut lost it (power-loss once found the starting point's data.bin empty).
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { loadConfig, profileSettings } from '../../lib/config/config.js';
import { Debian12Profile } from '../../lib/image/debian12-profile.js';
import { Lab } from '../../lib/lab/lab.js';
import { realHost } from '../../lib/lab/lab-host.js';
import type { StartedLab } from '../../lib/lab/started-lab.js';
import { ensureSnapshot, type ClusterSnapshot, type SnapshotStep } from '../../lib/snapshot/cluster-snapshot.js';

const FILE = '/var/tmp/written-before-save.bin';

const STEP: SnapshotStep = {
  point: 'test-unsynced-write',
  source: `writeback off, dd 16 MiB to ${FILE}, no sync`,
  run: async (lab) => {
    // The kernel keeps the write in its page cache until something syncs it. Left to itself it
    // writes back within 30 s, or at once when dirty pages pass a share of free memory: timing
    // that let this test pass without the save's sync (a mutation showed it). So no writeback here.
    const node = lab.node('drbd1');
    await node.exec('sudo sysctl -q vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000 vm.dirty_background_ratio=90 vm.dirty_ratio=90');
    await node.exec(`sudo dd if=/dev/urandom of=${FILE} bs=1M count=16 status=none`);
  },
};

let snapshot: ClusterSnapshot | undefined;
let lab: StartedLab | undefined;

beforeAll(async () => {
  // The run's configuration (DRBDLAB_ACCEL, offline, mirrors, folders, the snapshot cache's bound), as the CLI reads it.
  const run = await loadConfig();
  const def = new Lab(await loadLabConfig(DEFAULT_CONFIG), Debian12Profile.create(profileSettings(run)), realHost(run.paths), run.accel);
  const progress = (m: string) => console.log(`[durability] ${m}`);
  const plan = await def.plan({ progress });
  let made = await ensureSnapshot(def, plan, { step: STEP, progress, cacheMaxBytes: run.snapshotCacheGiB * 1024 ** 3 });
  if (!made.created) {
    // Left by an earlier run: this test is about how a save is made, so it makes its own.
    await rm(made.snapshot.dir, { recursive: true, force: true });
    made = await ensureSnapshot(def, plan, { step: STEP, progress, cacheMaxBytes: run.snapshotCacheGiB * 1024 ** 3 });
  }
  snapshot = made.snapshot;
  lab = await snapshot.restore({ progress });
});

afterAll(async () => {
  await lab?.down();
  if (snapshot) await rm(snapshot.dir, { recursive: true, force: true });
});

describe('a snapshot saved right after a write', () => {
  it('holds the write on disk: a power cut right after the restore keeps it', async () => {
    const node = lab!.node('drbd1');
    const before = await node.output(`sudo sha256sum ${FILE}`);
    await node.powerOff();
    await node.powerOn();
    expect(await node.output(`stat -c %s ${FILE}`), `${FILE}: size after the power cut`).toBe(String(16 * 1024 * 1024));
    expect(await node.output(`sudo sha256sum ${FILE}`), `${FILE}: content after the power cut`).toBe(before);
  });
});
