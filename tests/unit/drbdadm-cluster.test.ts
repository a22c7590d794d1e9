// The drbdadm stack's shared setup and its decisions (scenarios/steps/drbdadm/cluster.ts), on a
// ReplayLab over a synthetic recording: the commands listed are the ones ensureR0 and quiesce must
// run for the answers given, in order, and nothing more. ensureR0 runs only where a scenario is not
// restored at r0-up (a lab that is up), so no real recording holds it; the outputs here are drbdadm
// 8.4's as the real recordings show them.
import { describe, expect, it } from 'vitest';
import { RemoteCommandError, WaitTimeoutError } from '../../lib/errors.js';
import type { ScenarioContext } from '../../lib/scenario/scenario-lab.js';
import { ensureR0, quiesce, resFile, waitConnected, waitUpToDate, writeFileCommand } from '../../scenarios/steps/drbdadm/cluster.js';
import { R0_UP } from '../../scenarios/steps/drbdadm/start.js';
import { NODES, contextOn, outcome, syntheticLab, times, type Answer } from '../support/synthetic-lab.js';

const SUM = 'a'.repeat(64);

const status = (role: string, disk: string, peerRole: string, peerDisk: string) =>
  `r0 role:${role}\n  disk:${disk}\n  peer role:${peerRole}\n    replication:Established peer-disk:${peerDisk}\n`;
const NO_SUCH = "r0: No such resource\nCommand 'drbdsetup-84 status r0' terminated with exit code 10\n";

/** What ensureR0 runs to set r0 up on a node where it is not (storage, LV and metadata as given). */
/** r0 up on both, drbd1 Primary with r0 already mounted and its data there, up to the checksum. */
function alreadyMounted(): Answer[] {
  return [
    ['drbd1', 'test -e /etc/drbd.d/r0.res', 0],
    ['drbd1', 'sudo drbdadm status r0', 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')],
    ['drbd2', 'test -e /etc/drbd.d/r0.res', 0],
    ['drbd2', 'sudo drbdadm status r0', 0, status('Secondary', 'UpToDate', 'Primary', 'UpToDate')],
    ['drbd1', 'sudo drbdadm status r0', 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')],
    ['drbd1', 'sudo drbdadm status r0', 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')],
    ['drbd1', 'sudo drbdadm status r0', 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')],
    ['drbd1', 'sudo drbdadm primary r0'],
    ['drbd1', 'sudo mkdir -p /mnt/r0'],
    ['drbd2', 'sudo mkdir -p /mnt/r0'],
    ['drbd1', 'mountpoint -q /mnt/r0', 0],
    ['drbd1', 'test -f /mnt/r0/data.bin', 0],
  ];
}

/** drbd1 promoted, the mount point made on both, r0 mounted on drbd1: the end of every ensureR0 that has to mount. */
const PROMOTE_AND_MOUNT: Answer[] = [
  ['drbd1', 'sudo drbdadm primary r0'],
  ['drbd1', 'sudo mkdir -p /mnt/r0'],
  ['drbd2', 'sudo mkdir -p /mnt/r0'],
  ['drbd1', 'mountpoint -q /mnt/r0', 32],
  ['drbd1', 'sudo mount /dev/drbd100 /mnt/r0'],
];

function setUp(node: string, o: { vg: boolean; lv: boolean; md: boolean }): Answer[] {
  return [
    [node, 'sudo vgs --noheadings -o vg_name drbdpool', o.vg ? 0 : 5, o.vg ? '  drbdpool\n' : '', o.vg ? '' : '  Volume group "drbdpool" not found\n'],
    ...(o.vg ? [] : ([
      [node, "echo ',,L' | sudo sfdisk --quiet /dev/vdb"],
      [node, 'sudo udevadm settle'],
      [node, 'sudo pvcreate /dev/vdb1'],
      [node, 'sudo vgcreate drbdpool /dev/vdb1'],
    ] as Answer[])),
    [node, 'sudo lvs --noheadings drbdpool/r0', o.lv ? 0 : 5],
    ...(o.lv ? [] : ([[node, 'sudo lvcreate --yes --wipesignatures y -n r0 -L 1G drbdpool']] as Answer[])),
    [node, writeFileCommand('/etc/drbd.d/r0.res', resFile({ nodes: NODES } as never))],
    [node, 'sudo drbdadm dump-md r0', o.md ? 0 : 255],
    ...(o.md ? [] : ([[node, 'sudo drbdadm create-md --force r0']] as Answer[])),
    [node, 'sudo drbdadm up r0'],
  ];
}

async function run(answers: Answer[], prepare = (ctx: ScenarioContext) => ensureR0(ctx)): Promise<{ checksum?: string; err?: unknown; remaining: number; steps: string[] }> {
  const lab = syntheticLab(answers);
  const steps: string[] = [];
  const ctx = contextOn(lab);
  const r = await outcome(lab, () => prepare({ ...ctx, step: (title, body) => (steps.push(title), ctx.step(title, body)) }));
  return { checksum: r.value?.checksum, err: r.err, remaining: r.remaining, steps };
}

describe('ensureR0: r0 brought to the walkthrough\'s end state from where the lab is', () => {
  it('a pristine cluster: storage, LV, res file, metadata, up on both; the initial sync forced from drbd1; mkfs, mount, data', async () => {
    const r = await run([
      ['drbd1', 'test -e /etc/drbd.d/r0.res', 1],
      ...setUp('drbd1', { vg: false, lv: false, md: false }),
      ['drbd2', 'test -e /etc/drbd.d/r0.res', 1],
      ...setUp('drbd2', { vg: false, lv: false, md: false }),
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', 'Inconsistent', 'Secondary', 'Inconsistent')],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', 'Inconsistent', 'Secondary', 'Inconsistent')],
      ['drbd1', 'sudo drbdadm primary --force r0'],
      ['drbd1', 'sudo mkfs.ext4 -q /dev/drbd100'],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')],
      ...PROMOTE_AND_MOUNT,
      ['drbd1', 'test -f /mnt/r0/data.bin', 1],
      ['drbd1', 'sudo dd if=/dev/urandom of=/mnt/r0/data.bin bs=1M count=16 conv=fsync status=none && sync'],
      ['drbd1', 'sudo sha256sum /mnt/r0/data.bin', 0, `${SUM}  /mnt/r0/data.bin\n`],
    ]);
    expect(r.err).toBeUndefined();
    expect(r.checksum).toBe(SUM);
    expect(r.remaining).toBe(0);
    expect(r.steps).toEqual(['precondition: r0 connected and UpToDate with data on it']);
  });

  it('r0 configured but down where storage, LV and metadata exist: only `up`; drbd2 Primary is demoted, drbd1 promoted; its data kept', async () => {
    const r = await run([
      ['drbd1', 'test -e /etc/drbd.d/r0.res', 0],
      ['drbd1', 'sudo drbdadm status r0', 10, '', NO_SUCH],
      ...setUp('drbd1', { vg: true, lv: true, md: true }),
      ['drbd2', 'test -e /etc/drbd.d/r0.res', 0],
      ['drbd2', 'sudo drbdadm status r0', 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', 'UpToDate', 'Primary', 'UpToDate')],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', 'UpToDate', 'Primary', 'UpToDate')],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', 'UpToDate', 'Primary', 'UpToDate')],
      ['drbd2', 'sudo drbdadm status r0', 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')],
      // Primary but not mounted there: umount's "not mounted" (32) is no failure.
      ['drbd2', 'sudo umount /mnt/r0', 32, '', 'umount: /mnt/r0: not mounted.\n'],
      ['drbd2', 'sudo drbdadm secondary r0'],
      ...PROMOTE_AND_MOUNT,
      ['drbd1', 'test -f /mnt/r0/data.bin', 0],
      ['drbd1', 'sudo sha256sum /mnt/r0/data.bin', 0, `${SUM}  /mnt/r0/data.bin\n`],
    ]);
    expect(r.err).toBeUndefined();
    expect(r.checksum).toBe(SUM);
    expect(r.remaining).toBe(0);
  });

  it('r0 up on both, drbd1 already Primary and mounted with its data: nothing set up, nothing demoted, nothing written (r0-up\'s own prepare)', async () => {
    const r = await run([
      ...alreadyMounted(),
      ['drbd1', 'sudo sha256sum /mnt/r0/data.bin', 0, `${SUM}  /mnt/r0/data.bin\n`],
    ], (ctx) => R0_UP.prepare(ctx) as ReturnType<typeof ensureR0>);
    expect(r.err).toBeUndefined();
    expect(r.checksum).toBe(SUM);
    expect(r.remaining).toBe(0);
  });

  it.each([
    ['drbd1 UpToDate, its peer Inconsistent (a sync under way): no forced primary, no mkfs over the data', 'UpToDate', 'Inconsistent'],
    ["drbd1 Inconsistent, its peer UpToDate (drbd1 is the sync target): no forced primary over the peer's data", 'Inconsistent', 'UpToDate'],
  ] as const)('%s', async (_title, mine, peers) => {
    const r = await run([
      ['drbd1', 'test -e /etc/drbd.d/r0.res', 0],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', mine, 'Secondary', peers)],
      ['drbd2', 'test -e /etc/drbd.d/r0.res', 0],
      ['drbd2', 'sudo drbdadm status r0', 0, status('Secondary', peers, 'Secondary', mine)],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', mine, 'Secondary', peers)],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', mine, 'Secondary', peers)],
      ['drbd1', 'sudo drbdadm status r0', 0, status('Secondary', 'UpToDate', 'Secondary', 'UpToDate')],
      ['drbd2', 'sudo drbdadm status r0', 0, status('Secondary', 'UpToDate', 'Secondary', 'UpToDate')],
      ...PROMOTE_AND_MOUNT,
      ['drbd1', 'test -f /mnt/r0/data.bin', 0],
      ['drbd1', 'sudo sha256sum /mnt/r0/data.bin', 0, `${SUM}  /mnt/r0/data.bin\n`],
    ]);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it('`test -e` answering neither 0 nor 1 is thrown (infrastructure), not taken for "not configured"', async () => {
    const r = await run([['drbd1', 'test -e /etc/drbd.d/r0.res', 2, '', 'test: unexpected error\n']]);
    expect(r.err).toBeInstanceOf(RemoteCommandError);
    expect(r.err).toMatchObject({ node: 'drbd1', command: 'test -e /etc/drbd.d/r0.res', exitCode: 2, kind: 'infrastructure' });
  });

  it('a checksum that is not sha256sum\'s is a failure, not the data\'s checksum', async () => {
    const r = await run([
      ...alreadyMounted(),
      ['drbd1', 'sudo sha256sum /mnt/r0/data.bin', 0, `x${SUM}  /mnt/r0/data.bin\n`],
    ]);
    expect(String(r.err)).toMatch(/^AssertionError: expected 'xa+…' to match \/\^\[0-9a-f\]\{64\}\$\/$/);
  });
});

describe('quiesce: unmount and demote only where needed', () => {
  async function quiesceOn(answers: Answer[]): Promise<{ err?: unknown; remaining: number }> {
    const lab = syntheticLab(answers);
    const { err, remaining } = await outcome(lab, () => quiesce(lab.node('drbd1')));
    return err === undefined ? { remaining } : { err, remaining };
  }

  it('mounted Primary: umount, then secondary', async () => {
    const r = await quiesceOn([
      ['drbd1', 'mountpoint -q /mnt/r0', 0],
      ['drbd1', 'sudo umount /mnt/r0'],
      ['drbd1', 'sudo drbdadm role r0', 0, 'Primary/Secondary\n'],
      ['drbd1', 'sudo drbdadm secondary r0'],
    ]);
    expect(r).toEqual({ remaining: 0 });
  });

  it('not mounted, Secondary: nothing to do', async () => {
    const r = await quiesceOn([
      ['drbd1', 'mountpoint -q /mnt/r0', 32],
      ['drbd1', 'sudo drbdadm role r0', 0, 'Secondary/Primary\n'],
    ]);
    expect(r).toEqual({ remaining: 0 });
  });

  it('mountpoint failing otherwise (no such directory) is thrown with its answer', async () => {
    const r = await quiesceOn([['drbd1', 'mountpoint -q /mnt/r0', 1, '', 'mountpoint: /mnt/r0: No such file or directory\n']]);
    expect(r.err).toBeInstanceOf(RemoteCommandError);
    expect(r.err).toMatchObject({ node: 'drbd1', command: 'mountpoint -q /mnt/r0', exitCode: 1 });
  });

  it('a role that is neither Primary nor Secondary (r0 down: Unconfigured) fails naming the node', async () => {
    const r = await quiesceOn([
      ['drbd1', 'mountpoint -q /mnt/r0', 32],
      ['drbd1', 'sudo drbdadm role r0', 0, 'Unconfigured\n'],
    ]);
    expect(String(r.err)).toMatch(/drbd1: drbdadm role r0: expected 'Unconfigured' to match/);
  });

  for (const role of ['xPrimary/Secondary', 'Primary (forced)/Secondary']) {
    it(`a role with text around it (${JSON.stringify(role)}) is not a role: it fails, nothing is demoted`, async () => {
      const r = await quiesceOn([
        ['drbd1', 'mountpoint -q /mnt/r0', 32],
        ['drbd1', 'sudo drbdadm role r0', 0, `${role}\n`],
        ['drbd1', 'sudo drbdadm secondary r0'],
      ]);
      expect(String(r.err)).toMatch(/^AssertionError: drbd1: drbdadm role r0: expected .* to match/);
      expect(r.remaining).toBe(1);
    });
  }

  it('a role with its peer after it still reads as the local role: "Primary/Unknown" is demoted', async () => {
    const r = await quiesceOn([
      ['drbd1', 'mountpoint -q /mnt/r0', 32],
      ['drbd1', 'sudo drbdadm role r0', 0, 'Primary/Unknown\n'],
      ['drbd1', 'sudo drbdadm secondary r0'],
    ]);
    expect(r).toEqual({ remaining: 0 });
  });
});

describe('waitConnected, waitUpToDate: one peer, and that peer connected / UpToDate', () => {
  const STATUS = 'sudo drbdadm status r0';
  const NO_PEER = 'r0 role:Primary\n  disk:UpToDate\n';
  const connecting = 'r0 role:Primary\n  disk:UpToDate\n  peer connection:Connecting\n';

  it('waitConnected: not while the peer is Connecting, nor with no peer at all', async () => {
    const lab = syntheticLab([['drbd1', STATUS, 0, connecting], ['drbd1', STATUS, 0, NO_PEER], ['drbd1', STATUS, 0, status('Primary', 'UpToDate', 'Secondary', 'Inconsistent')]]);
    expect((await waitConnected(lab, lab.node('drbd1'))).peers[0]?.role).toBe('Secondary');
    expect(lab.remaining).toEqual([]);
  });

  it('waitUpToDate: not while the peer is Inconsistent, nor UpToDate alone with no peer', async () => {
    const lab = syntheticLab([['drbd1', STATUS, 0, status('Primary', 'UpToDate', 'Secondary', 'Inconsistent')], ['drbd1', STATUS, 0, NO_PEER], ['drbd1', STATUS, 0, status('Primary', 'UpToDate', 'Secondary', 'UpToDate')]]);
    expect((await waitUpToDate(lab, lab.node('drbd1'))).peers[0]?.volumes[0]?.peerDisk).toBe('UpToDate');
    expect(lab.remaining).toEqual([]);
  });

  it('never connected: a timeout of DRBD\'s (product) on the lab\'s clock, saying what it waited for', async () => {
    const lab = syntheticLab(times(400, ['drbd1', STATUS, 0, connecting]));
    const r = await outcome(lab, () => waitConnected(lab, lab.node('drbd1')));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', what: 'r0 connected to its peer' });
  });

  it('never UpToDate on both: a timeout of DRBD\'s (product) on the lab\'s clock, saying what it waited for', async () => {
    const lab = syntheticLab(times(400, ['drbd1', STATUS, 0, status('Primary', 'UpToDate', 'Secondary', 'Inconsistent')]));
    const r = await outcome(lab, () => waitUpToDate(lab, lab.node('drbd1')));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', what: 'r0 UpToDate on both replicas' });
  });
});
