// The drbdmanage walkthrough (scenarios/steps/drbdmanage/walkthrough.ts) on its captured
// recording with one output changed: each check fails in its own step with its own message, each
// wait that never gets there runs out on the replay's clock naming what it waited for and what it
// saw last, and outputs in another order or a cluster on the blog's larger disks still pass.
// How such a failure is classified (product, failed) is shown for the drbdmanage steps in
// drbdmanage-faults.test.ts; here each case replays once.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DrbdmanageError, NOT_READY_ERRORS } from '../../lib/drbd/drbdmanage-result.js';
import { WaitTimeoutError } from '../../lib/errors.js';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import { readRecording, type Recording } from '../../lib/scenario/recording.js';
import { drbdmanageWalkthrough } from '../../scenarios/steps/drbdmanage/walkthrough.js';
import { answeredFirst, at, capture, causes, mutate, replayThroughDefineScenario, type Edit } from '../support/mutation.js';

const walkthrough = () => readRecording(join(import.meta.dirname, '../../scenarios/recordings/captured/walkthrough.ubuntu1804-drbd9.json'));
const p1 = (node: string, line: number) => capture(`p1-versions-prep__${node}.jsonl:${line}`);
const p2 = (node: string, line: number) => capture(`p2-cluster-setup__${node}.jsonl:${line}`);
const stdoutOf = (id: (c: CommandRecord) => boolean) => walkthrough().commands.find(id)!.stdout;
const replace = (from: string | RegExp, to: string) => (c: CommandRecord) => {
  const stdout = c.stdout.replace(from, to);
  if (stdout === c.stdout) throw new Error(`no ${String(from)} in the output of ${c.command}`);
  return { stdout };
};
const NOT_READY = { stdout: '', stderr: `Waiting for server: ...............\n${NOT_READY_ERRORS[0]}\n`, exitCode: 0 };

/** The step's title as it starts, and the failure's message within it. */
interface Check {
  name: string;
  edit: Omit<Edit, 'what'>;
  step: RegExp;
  message: RegExp;
}

const CHECKS: Check[] = [
  {
    name: "the in-tree DRBD 8.4 module on drbd2 (drbd-dkms's build failed)",
    edit: { match: p1('drbd2', 3), change: () => ({ stdout: 'version: 8.4.10 (api:1/proto:86-101)\nsrcversion: 0A1B2C3D4E5F60718293A4B\n' }) },
    step: /^step "7\. DRBD 9 from the LINBIT PPA \(drbd-dkms\): the loaded module is DRBD 9" failed/,
    message: /drbd2: \/proc\/drbd must come from the drbd-dkms module: expected 'version: 8\.4\.10/,
  },
  {
    name: 'vgs; pvs fails on drbd3 (no data disk)',
    edit: { match: p1('drbd3', 27), change: () => ({ stdout: '', stderr: '  Volume group "drbdpool" not found\n', exitCode: 5 }) },
    step: /^step "8\. LVM on the partition: the template's drbdpool VG on \/dev\/vdb1 is there on every node" failed/,
    message: /drbd3: vgs; pvs \(the clone's data disk must be the template's\): Volume group "drbdpool" not found: expected 5 to be \+0/,
  },
  {
    name: 'a second volume group on drbd2',
    edit: { match: p1('drbd2', 27), change: replace(/(drbdpool .*\n)/u, '$1  ubuntu-vg  1   1   0 wz--n- <8.00g     0 \n') },
    step: /^step "8\. LVM/,
    message: /drbd2: volume groups: expected \[ 'drbdpool', 'ubuntu-vg' \] to deeply equal \[ 'drbdpool' \]/,
  },
  {
    name: 'drbdpool on another partition of drbd1',
    edit: { match: p1('drbd1', 27), change: replace('/dev/vdb1 ', '/dev/vdc1 ') },
    step: /^step "8\. LVM/,
    message: /drbd1: PVs: expected \[ \[ '\/dev\/vdc1', 'drbdpool' \] \] to deeply equal \[ \[ '\/dev\/vdb1', 'drbdpool' \] \]/,
  },
  {
    name: 'drbdpool too small for the two control volumes',
    edit: { match: p1('drbd1', 27), change: replace('wz--n- <2.00g <2.00g', 'wz--n-  8.00m  8.00m') },
    step: /^step "8\. LVM/,
    message: /drbd1: drbdpool size \(MiB\): expected 8 to be greater than 8/,
  },
  {
    name: 'drbd3 named otherwise',
    edit: { match: at('hostname', 'drbd3'), change: () => ({ stdout: 'ubuntu\n' }) },
    step: /^step "10\. Hostnames drbd1\.\.drbd3, set before drbdmanage runs" failed/,
    message: /hostname of drbd3: expected 'ubuntu' to be 'drbd3'/,
  },
  {
    name: 'init initializes one control volume',
    edit: { match: p2('drbd1', 4), change: replace("\nEmpty drbdmanage control volume initialized on '/dev/drbd1'.", '') },
    step: /^step "11\. drbdmanage init 10\.255\.255\.101 on drbd1, confirmed with yes" failed/,
    message: /init: stdout: expected/,
  },
  {
    name: "drbd1's address in list-nodes -m is not its replication address",
    edit: { match: p2('drbd1', 7), change: replace('10.255.255.101', '10.255.255.109') },
    step: /^step "12\. drbdmanage list-nodes: drbd1 ok, its pool is drbdpool less the control volumes" failed/,
    message: /drbd1: address in list-nodes -m: expected '10\.255\.255\.109' to be '10\.255\.255\.101'/,
  },
  {
    name: 'list-nodes -m gives another pool in KiB than list-nodes in MiB',
    edit: { match: p2('drbd1', 7), change: replace(',2084864,', ',2084000,') },
    step: /^step "12\. drbdmanage list-nodes/,
    message: /drbd1: pool in KiB \(list-nodes -m\): expected \[ 2093056, 2084000 \] to deeply equal \[ 2093056, 2084864 \]/,
  },
  {
    name: 'the pool has more taken than the control volumes',
    edit: { match: p2('drbd1', 6), change: replace('\u001b[0;33m2036\u001b[0m', '\u001b[0;33m2030\u001b[0m') },
    step: /^step "12\. drbdmanage list-nodes/,
    message: /drbd1: pool free = size - 8: expected 2030 to be 2036/,
  },
  {
    name: "the pool is not drbdpool's size",
    edit: { match: p1('drbd1', 27), change: replace('wz--n- <2.00g <2.00g', 'wz--n- <4.00g <4.00g') },
    step: /^step "12\. drbdmanage list-nodes/,
    message: /drbd1: pool size 2044 MiB = drbdpool size ~4096 MiB: expected 2052 to be less than or equal to 10\.24/,
  },
  {
    name: 'the pool size unknown',
    edit: { match: p2('drbd1', 6), change: replace('\u001b[0;33m2044\u001b[0m', '\u001b[0;33munknown\u001b[0m') },
    step: /^step "12\. drbdmanage list-nodes/,
    message: /drbd1: pool size known: expected null not to be null/,
  },
  {
    name: 'add-node drbd2 prints an error line',
    edit: { match: p2('drbd1', 12), change: (c) => ({ stderr: `${c.stderr}Error: Object already exists\n` }) },
    step: /^step "13\. add-node drbd2 10\.255\.255\.102 on drbd1 prints the join command; drbd2 is listed, not yet joined" failed/,
    message: /add-node drbd2: drbdmanage printed errors/,
  },
  {
    name: 'the join command printed is for another node',
    edit: { match: p2('drbd1', 12), change: replace('Join command for node drbd2:', 'Join command for node drbd9:') },
    step: /^step "13\. add-node drbd2/,
    message: /join command for: expected 'drbd9' to be 'drbd2'/,
  },
  {
    name: 'the join command gives the new node another address',
    edit: { match: p2('drbd1', 12), change: replace('6999 10.255.255.102 1', '6999 10.255.255.109 1') },
    step: /^step "13\. add-node drbd2/,
    message: /join: address of the new node: expected '10\.255\.255\.109' to be '10\.255\.255\.102'/,
  },
  {
    name: 'the join command names another peer',
    edit: { match: p2('drbd1', 12), change: replace(' 1 drbd1 10.255.255.101 ', ' 1 drbd7 10.255.255.101 ') },
    step: /^step "13\. add-node drbd2/,
    message: /join: peer to contact: expected 'drbd7' to be 'drbd1'/,
  },
  {
    name: "the join command gives the peer's address wrong",
    edit: { match: p2('drbd1', 12), change: replace(' drbd1 10.255.255.101 0 ', ' drbd1 10.255.255.109 0 ') },
    step: /^step "13\. add-node drbd2/,
    message: /join: address of the peer: expected '10\.255\.255\.109' to be '10\.255\.255\.101'/,
  },
  {
    name: 'drbd2 ok before its join',
    edit: { match: p2('drbd1', 13), change: replace(/\u001b\[1;31moffline\/quorum vote ignored, pending actions: adjust connections\u001b\[0m/u, '\u001b[0;32mok\u001b[0m') },
    step: /^step "13\. add-node drbd2/,
    message: /drbd2 before its join \(ok\): expected true to be false/,
  },
  {
    name: 'the join does not wait for the server',
    edit: { match: p2('drbd2', 2), change: replace('Waiting for server to start up (can take up to 1 min)', '') },
    step: /^step "14\. On drbd2: the join command add-node printed, confirmed with yes" failed/,
    message: /join on drbd2: stdout: expected/,
  },
  {
    name: '.drbdctrl with one volume',
    edit: { match: p2('drbd1', 19), change: (c) => ({ stdout: c.stdout.replace(/ {2,4}volume:1 [^\n]*\n/gu, '').replace(/volume:0 /gu, '') }) },
    step: /^step "17\. drbdsetup status: \.drbdctrl UpToDate on all three nodes, one Primary" failed/,
    message: /\.drbdctrl volumes: expected \[ \+0 \] to deeply equal \[ \+0, 1 \]/,
  },
  {
    name: '.drbdctrl Primary on two nodes: not the picture, the wait looks again',
    edit: { match: p2('drbd1', 19), change: replace('drbd2 role:Secondary', 'drbd2 role:Primary') },
    step: /^step "17\. drbdsetup status/,
    message: /recording has drbd1\$ sudo drbdmanage add-resource r0\n {2}but the scenario ran drbd1\$ sudo drbdsetup status/,
  },
  {
    name: '.drbdctrl not UpToDate on drbd3: the wait looks again',
    edit: { match: p2('drbd1', 19), change: replace(/(drbd3 role:Secondary\n {4}volume:0 peer-disk:)UpToDate/u, '$1Inconsistent') },
    step: /^step "17\. drbdsetup status/,
    message: /recording has drbd1\$ sudo drbdmanage add-resource r0\n {2}but the scenario ran drbd1\$ sudo drbdsetup status/,
  },
  {
    name: 'add-resource r0 prints an error line',
    edit: { match: p2('drbd1', 24), change: () => ({ stderr: 'Error: Object already exists\n' }) },
    step: /^step "18\. add-resource r0; list-volumes --show Port: r0 on port 7000, no volume yet" failed/,
    message: /add-resource r0: drbdmanage printed errors/,
  },
  {
    name: 'r0 on another port',
    edit: { match: p2('drbd1', 25), change: replace(' 7000 |', ' 7001 |') },
    step: /^step "18\. add-resource r0/,
    message: /r0 port: expected 7001 to be 7000/,
  },
  {
    name: 'r0 with a volume already',
    edit: { match: p2('drbd1', 25), change: () => ({ stdout: stdoutOf(p2('drbd1', 28)) }) },
    step: /^step "18\. add-resource r0/,
    message: /r0 has no volume yet: expected \+0 to be null/,
  },
  {
    name: 'r0 not listed',
    edit: { match: p2('drbd1', 25), change: replace('\u001b[0;36mr0\u001b[0m', '\u001b[0;36mr1\u001b[0m') },
    step: /^step "18\. add-resource r0/,
    message: /r0 in list-volumes: expected undefined to be defined/,
  },
  {
    name: 'add-volume r0 40GB prints an error line',
    edit: { match: p2('drbd1', 27), change: () => ({ stderr: 'Error: Object already exists\n' }) },
    step: /^step "19\. add-volume r0 40GB: volume 0, 37\.25 GiB, minor 100, port 7000" failed/,
    message: /add-volume r0 40GB: drbdmanage printed errors/,
  },
  {
    name: 'the 40GB volume another size',
    edit: { match: p2('drbd1', 28), change: replace('37.25 GiB', '37.26 GiB') },
    step: /^step "19\. add-volume r0 40GB/,
    message: /r0\/0 size: expected '37\.26 GiB' to be '37\.25 GiB'/,
  },
  {
    name: 'the 40GB volume another minor',
    edit: { match: p2('drbd1', 28), change: replace('\u001b[0;33m100\u001b[0m', '\u001b[0;33m102\u001b[0m') },
    step: /^step "19\. add-volume r0 40GB/,
    message: /r0\/0 minor: expected 102 to be 100/,
  },
  {
    name: 'r0 on another port once it has a volume',
    edit: { match: p2('drbd1', 28), change: replace(' 7000 |', ' 7002 |') },
    step: /^step "19\. add-volume r0 40GB/,
    message: /r0 port: expected 7002 to be 7000/,
  },
  {
    name: 'the refused deploy exits 1',
    edit: { match: p2('drbd1', 32), change: () => ({ exitCode: 1 }) },
    step: /^step "20\. deploy-resource r0 3 on pools of 2036 MiB/,
    message: /deploy-resource r0 3: exit code \(drbdmanage exits 0 after a server error\): expected 1 to be \+0/,
  },
  {
    name: 'the refused deploy assigned r0 all the same',
    edit: { match: p2('drbd1', 33), change: () => ({ stdout: stdoutOf(p2('drbd1', 43)) }) },
    step: /^step "20\. deploy-resource r0 3 on pools of 2036 MiB: "Error: Not enough free space" with exit 0, nothing assigned \(the blog's disk is 40 GiB\)" failed/,
    message: /r0 assignments: expected \[/,
  },
  {
    name: 'remove-resource r0 prints an error line',
    edit: { match: p2('drbd1', 35), change: () => ({ stderr: 'Error: Object not found\n' }) },
    step: /^step "20\. r0 again with 500MB: remove-resource r0 \(confirmed\), add-resource, add-volume; drbdmanage gives it the next minor, not 100" failed/,
    message: /remove-resource r0: drbdmanage printed errors/,
  },
  {
    name: 'add-resource r0 again prints an error line',
    edit: { match: p2('drbd1', 38), change: () => ({ stderr: 'Error: Object already exists\n' }) },
    step: /^step "20\. r0 again with 500MB/,
    message: /add-resource r0: drbdmanage printed errors/,
  },
  {
    name: 'add-volume r0 500MB prints an error line',
    edit: { match: p2('drbd1', 39), change: () => ({ stderr: 'Error: Object already exists\n' }) },
    step: /^step "20\. r0 again with 500MB/,
    message: /add-volume r0 500MB: drbdmanage printed errors/,
  },
  {
    name: 'the removed minor given again at once',
    edit: { match: p2('drbd1', 40), change: replace('\u001b[0;33m101\u001b[0m', '\u001b[0;33m100\u001b[0m') },
    step: /^step "20\. r0 again with 500MB/,
    message: /r0\/0 minor after remove and add: expected 100 to be 101/,
  },
  {
    name: 'the 500MB volume on another port',
    edit: { match: p2('drbd1', 40), change: replace(' 7000 |', ' 7003 |') },
    step: /^step "20\. r0 again with 500MB/,
    message: /r0 port: expected 7003 to be 7000/,
  },
  {
    name: 'the 500MB volume another size in KiB',
    edit: { match: p2('drbd1', 41), change: replace(',488282,', ',488281,') },
    step: /^step "20\. r0 again with 500MB/,
    message: /r0\/0 size in KiB for 500MB: expected 488281 to be 488282/,
  },
  {
    name: 'r0 missing from list-volumes -m',
    edit: { match: p2('drbd1', 41), change: replace(/^r0,/u, 'r1,') },
    step: /^step "20\. r0 again with 500MB/,
    message: /r0\/0 size in KiB for 500MB: expected undefined to be 488282/,
  },
  {
    name: "r0's volume row not ok on drbd3 while its resource row is: the wait looks again",
    edit: { match: p2('drbd1', 43), change: replace(/(\| \u001b\[0;36mdrbd3\u001b\[0m \|[^\n]*\n)/u, '$1| \u001b[0;36mdrbd3\u001b[0m | \u001b[0;32mr0\u001b[0m       |      \u001b[0;35m0\u001b[0m |                                                                        |    \u001b[1;33mpending\u001b[0m |\n') },
    step: /^step "20\. deploy-resource r0 3; list-assignments/,
    message: /recording has drbd1\$ sudo mkfs -t ext4 \/dev\/drbd100\n {2}but the scenario ran drbd1\$ sudo drbdmanage list-assignments/,
  },
  {
    name: 'r0 on drbd3 only as a volume row, no resource row: the wait looks again',
    edit: { match: p2('drbd1', 43), change: replace(/(\| \u001b\[0;36mdrbd3\u001b\[0m \| \u001b\[0;32mr0\u001b\[0m {7}\| {6}\u001b\[0;35m)\*/u, '$10') },
    step: /^step "20\. deploy-resource r0 3; list-assignments/,
    message: /recording has drbd1\$ sudo mkfs -t ext4 \/dev\/drbd100\n {2}but the scenario ran drbd1\$ sudo drbdmanage list-assignments/,
  },
  {
    name: "mkfs on the blog's /dev/drbd100 succeeds",
    edit: { match: p2('drbd1', 51), change: () => ({ exitCode: 0 }) },
    step: /^step "21\. mkfs -t ext4 \/dev\/drbd101 on drbd1 \(DRBD 9 promotes it for the time of mkfs\)" failed/,
    message: /mkfs on the blog's \/dev\/drbd100: expected \+0 to be 1/,
  },
  {
    name: "mkfs on the blog's /dev/drbd100 fails otherwise",
    edit: { match: p2('drbd1', 51), change: () => ({ stderr: 'mke2fs 1.47.0 (5-Feb-2023)\n/dev/drbd100 is apparently in use by the system; will not make a filesystem here!\n' }) },
    step: /^step "21\. mkfs/,
    message: /mkfs on the blog's \/dev\/drbd100: expected 'mke2fs[^']*' to match \/does not exist and no size was speci/,
  },
  {
    name: 'mkfs without its "Creating filesystem" line',
    edit: { match: p2('drbd1', 61), change: replace(/Creating filesystem with [^\n]*\n/u, '') },
    step: /^step "21\. mkfs/,
    message: /mkfs: "Creating filesystem with N Xk blocks": expected null not to be null/,
  },
  {
    name: 'mkfs never done writing its superblocks',
    edit: { match: p2('drbd1', 61), change: replace(/(Writing superblocks and filesystem accounting information:[^\n]*?)done/u, '$1') },
    step: /^step "21\. mkfs/,
    message: /failed: expected 'Discarding device blocks:[^']*' to match \/Writing superblocks and files/,
  },
  {
    name: 'drbd3 connecting, no volume of r0 yet: the wait looks again',
    edit: { match: p2('drbd1', 62), change: replace(/drbd3 role:Secondary\n {4}peer-disk:UpToDate\n(\n*)$/u, 'drbd3 connection:Connecting\n$1') },
    step: /^step "22\. drbdsetup status: r0 on drbd1 with drbd2 and drbd3, resyncing or in sync" failed/,
    message: /recording has drbd1\$ sudo mkdir -p \/mnt\/r0\n {2}but the scenario ran drbd1\$ sudo drbdsetup status/,
  },
  {
    name: 'drbd3 Inconsistent and not resyncing',
    edit: { match: p2('drbd1', 62), change: replace(/(r0 role:Secondary[^]*drbd3 role:Secondary\n {4}peer-disk:)UpToDate/u, '$1Inconsistent') },
    step: /^step "22\. drbdsetup status/,
    message: /drbd3: \{"peer":"drbd3","volume":0,"peerDisk":"Inconsistent","extra":\{\}\}: expected false to be true/,
  },
  {
    name: 'drbd3 SyncSource without progress',
    edit: { match: p2('drbd1', 62), change: replace(/(r0 role:Secondary[^]*drbd3 role:Secondary\n {4})peer-disk:UpToDate/u, '$1replication:SyncSource peer-disk:Inconsistent') },
    step: /^step "22\. drbdsetup status/,
    message: /drbd3: \{"peer":"drbd3","volume":0,"peerDisk":"Inconsistent","extra":\{\},"replication":"SyncSource"\}: expected false to be true/,
  },
  {
    name: '.drbdctrl no longer UpToDate on drbd3',
    edit: { match: p2('drbd1', 62), change: replace(/(drbd3 role:Secondary\n {4}volume:0 peer-disk:)UpToDate/u, '$1Outdated') },
    step: /^step "22\. drbdsetup status/,
    message: /\.drbdctrl still UpToDate everywhere: expected false to be true/,
  },
  {
    name: 'tee writes something else',
    edit: { match: at(/ \| sudo tee \/mnt\/r0\/walkthrough\.txt$/u), change: () => ({ stdout: 'tee: /mnt/r0/walkthrough.txt: Read-only file system\n' }) },
    step: /^step "23\. Mount \/dev\/drbd101 on the primary and use it" failed/,
    message: /tee: expected 'tee: [^']*' to be 'drbdlab: written on drbd1 through r0'/,
  },
  {
    name: 'the file reads back otherwise',
    edit: { match: at('cat /mnt/r0/walkthrough.txt'), change: () => ({ stdout: '\n' }) },
    step: /^step "23\. Mount/,
    message: /\/mnt\/r0\/walkthrough\.txt read back: expected '' to be 'drbdlab: written on drbd1 through r0'/,
  },
  {
    name: 'r0 Primary on drbd2 too',
    edit: { match: p2('drbd1', 80), change: replace('drbd2 role:Secondary', 'drbd2 role:Primary') },
    step: /^step "23\. Mount/,
    message: /r0 Primaries: expected \[ 'drbd1', 'drbd2' \] to deeply equal \[ 'drbd1' \]/,
  },
];

describe('the drbdmanage walkthrough: each check fails in its own step, saying what it checks', () => {
  for (const c of CHECKS) {
    it(c.name, async () => {
      const r = await replayThroughDefineScenario(mutate(walkthrough(), [{ what: c.name, ...c.edit }]), drbdmanageWalkthrough);
      expect(r.err, 'the changed recording fails').toBeInstanceOf(Error);
      const message = (r.err as Error).message;
      expect(message).toMatch(c.step);
      expect(message).toMatch(c.message);
      expect(causes(r.err).filter((e) => e instanceof WaitTimeoutError), 'no wait ran out its time').toEqual([]);
    });
  }
});

describe('the drbdmanage walkthrough: a listing outside a wait', () => {
  it("the server's \"not ready\" is a failure, the error as drbdmanage printed it (no table, the error line)", async () => {
    const r = await replayThroughDefineScenario(mutate(walkthrough(), [{ what: 'list-volumes -m: not ready', match: p2('drbd1', 41), change: () => NOT_READY }]), drbdmanageWalkthrough);
    expect((r.err as Error).message).toMatch(/^step "20\. r0 again with 500MB/u);
    expect(causes(r.err).find((e) => e instanceof DrbdmanageError)).toMatchObject({ node: 'drbd1', command: 'sudo drbdmanage list-volumes -m', exitCode: 0, stdout: '', stderr: NOT_READY_ERRORS[0], errors: [NOT_READY_ERRORS[0]], kind: 'product' });
  });
});

describe('the drbdmanage walkthrough: a wait that never gets there runs out, naming what it waited for and what it saw last', () => {
  const NO_NODES = { stdout: 'No nodes defined\n', stderr: '', exitCode: 0 };
  const output = (stdout: string) => ({ stdout, stderr: '', exitCode: 0 });
  it.each([
    ['drbd1 never ok after init', p2('drbd1', 6), NO_NODES, 40, /^step "12\. drbdmanage list-nodes[^]*drbd1: timed out after 180 s waiting for drbd1 ok in list-nodes; last seen: \(no nodes\)/u],
    ['drbd2 never ok after its join', p2('drbd1', 14), output(stdoutOf(p2('drbd1', 13))), 70, /^step "15\. list-nodes on drbd1: drbd1, drbd2 ok"[^]*drbd1: timed out after 300 s waiting for drbd1, drbd2 ok in list-nodes; last seen: drbd1:online\/quorum vote ignored, drbd2:offline\/quorum vote ignored, pending actions: adjust connections/u],
    ['.drbdctrl never up', p2('drbd1', 19), output(''), 70, /^step "17\. drbdsetup status[^]*drbd1: timed out after 120 s waiting for \.drbdctrl UpToDate on drbd1, drbd2, drbd3; last seen: \(no resources\)/u],
    ["r0's volume never there", p2('drbd1', 28), output(stdoutOf(p2('drbd1', 25))), 40, /^step "19\. add-volume r0 40GB[^]*drbd1: timed out after 60 s waiting for r0 volume 0 ok in list-volumes; last seen: r0\/\*:\*/u],
    ['the server never ready for list-volumes', p2('drbd1', 40), NOT_READY, 40, /^step "20\. r0 again with 500MB[^]*drbd1: timed out after 60 s waiting for r0 volume 0 ok in list-volumes; last seen: Error: Server currently not ready, please retry later/u],
    ['r0 never assigned', p2('drbd1', 43), output('No assignments defined\n'), 70, /^step "20\. deploy-resource r0 3; list-assignments[^]*drbd1: timed out after 300 s waiting for r0 assignments ok on drbd1, drbd2, drbd3; last seen: \(no assignments\)/u],
    [
      'r0 never ok on drbd3',
      p2('drbd1', 43),
      output(stdoutOf(p2('drbd1', 43)).replace(/(\| \u001b\[0;36mdrbd3\u001b\[0m \|.*?\| +)\u001b\[0;32mok\u001b\[0m \|/u, '$1\u001b[1;33mpending\u001b[0m |')),
      70,
      /^step "20\. deploy-resource r0 3; list-assignments[^]*drbd1: timed out after 300 s waiting for r0 assignments ok on drbd1, drbd2, drbd3; last seen: drbd1\/\*:ok, drbd2\/\*:ok, drbd3\/\*:pending/u,
    ],
    ['the server never ready for list-assignments', p2('drbd1', 43), NOT_READY, 70, /^step "20\. deploy-resource r0 3; list-assignments[^]*last seen: Error: Server currently not ready, please retry later/u],
    ['r0 never connected', p2('drbd1', 62), output(''), 70, /^step "22\. drbdsetup status[^]*drbd1: timed out after 120 s waiting for r0 connected to drbd2 and drbd3; last seen: \(no resources\)/u],
    ['r0 never Primary after the mount', p2('drbd1', 80), output(''), 70, /^step "23\. Mount[^]*drbd1: timed out after 120 s waiting for r0 Primary on drbd1; last seen: \(no resources\)/u],
  ])('%s', async (_t, match, answer, n, message) => {
    const r = await replayThroughDefineScenario(answeredFirst(walkthrough(), match, answer, n), drbdmanageWalkthrough);
    expect(causes(r.err).find((e) => e instanceof WaitTimeoutError), 'a wait ran out its (virtual) time').toMatchObject({ kind: 'product' });
    expect((r.err as Error).message).toMatch(message);
  });
});

describe('the drbdmanage walkthrough: what must still pass', () => {
  it('list-nodes -m in another row order, r0 resyncing from one peer while the other waits', async () => {
    const recording = mutate(walkthrough(), [
      { what: 'list-nodes -m, its lines reversed', match: p2('drbd1', 18), change: (c) => ({ stdout: `${c.stdout.trimEnd().split('\n').reverse().join('\n')}\n` }) },
      {
        what: "drbdsetup status after mkfs: r0's peers drbd3 first, resyncing one at a time",
        match: p2('drbd1', 62),
        change: replace(
          /r0 role:Secondary\n {2}disk:UpToDate\n {2}drbd2 role:Secondary\n {4}peer-disk:UpToDate\n {2}drbd3 role:Secondary\n {4}peer-disk:UpToDate\n/u,
          'r0 role:Secondary\n  disk:UpToDate\n  drbd3 role:Secondary\n    replication:PausedSyncS peer-disk:Inconsistent done:0.00 resync-suspended:peer\n  drbd2 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:41.70\n',
        ),
      },
    ]);
    const r = await replayThroughDefineScenario(recording, drbdmanageWalkthrough);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it("the smallest pool decides: one node's larger pool does not make the 40GB volume fit", async () => {
    const r = await replayThroughDefineScenario(onLargeDisks(walkthrough(), ['drbd3']), drbdmanageWalkthrough);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it("on the blog's 40 GiB disks the 40GB volume is deployed, made a file system on /dev/drbd100 and seen resyncing", async () => {
    const r = await replayThroughDefineScenario(theBlogsPath(walkthrough()), drbdmanageWalkthrough);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it("on the blog's disks a 40GB volume already in sync is not the walkthrough's picture (37 GiB do not resync in seconds)", async () => {
    const recording = theBlogsPath(walkthrough());
    const status = recording.commands.find((c) => c.provenance?.from === BLOG_STATUS)!;
    status.stdout = stdoutOf(p2('drbd1', 62));
    const r = await replayThroughDefineScenario(recording, drbdmanageWalkthrough);
    expect((r.err as Error).message).toMatch(/^step "22\. drbdsetup status[^]*resync visible in drbdsetup status \([^)]*\): expected 0 to be greater than 0/u);
  });
});

// ---- the cluster on the blog's disks: 40 GiB data partitions, pools of 40956 MiB (40948 free)

const BLOG_STATUS = 'test: the 40GB volume resyncing, as in the blog';

/** The recording with `nodes`' drbdpool on a 40 GiB partition: vgs, pvs and drbdmanage's pools in MiB and KiB. */
function onLargeDisks(recording: Recording, nodes: readonly string[]): Recording {
  const copy = structuredClone(recording);
  for (const c of copy.commands) {
    if (c.command === 'sudo vgs; sudo pvs' && nodes.includes(c.node)) c.stdout = c.stdout.replaceAll('<2.00g', '<40.00g');
    if (c.command === 'sudo drbdmanage list-nodes') {
      c.stdout = c.stdout
        .split('\n')
        .map((l) => (nodes.some((n) => l.startsWith(`| \u001b[0;36m${n}\u001b[0m`)) ? l.replace('     \u001b[0;33m2044\u001b[0m', '    \u001b[0;33m40956\u001b[0m').replace('     \u001b[0;33m2036\u001b[0m', '    \u001b[0;33m40948\u001b[0m') : l))
        .join('\n');
    }
    if (c.command === 'sudo drbdmanage list-nodes -m') {
      c.stdout = c.stdout
        .split('\n')
        .map((l) => (nodes.some((n) => l.startsWith(`${n},`)) ? l.replace(',2093056,2084864,', `,${40956 * 1024},${40948 * 1024},`) : l))
        .join('\n');
    }
  }
  const small = copy.commands.filter((c) => nodes.includes(c.node) || c.command.startsWith('sudo drbdmanage list-nodes')).flatMap((c) => c.stdout.split('\n'))
    .filter((l) => nodes.some((n) => l.startsWith(`| \u001b[0;36m${n}\u001b[0m`) || l.startsWith(`${n},`) || l.startsWith('  drbdpool') || l.startsWith('  /dev/vdb1')) && /\b2044\b|,2093056,|<2\.00g/u.test(l));
  if (small.length > 0) throw new Error(`onLargeDisks: small pools left: ${small.join(' / ')}`);
  return copy;
}

/**
 * The walkthrough as the blog runs it, on its disks: the 40GB deploy succeeds (the second
 * deploy's outputs), there is no r0 again with 500MB, mkfs makes 9765625 4k blocks on
 * /dev/drbd100 and drbdsetup status shows r0 resyncing.
 */
function theBlogsPath(recording: Recording): Recording {
  const copy = onLargeDisks(recording, ['drbd1', 'drbd2', 'drbd3']);
  const take = (id: (c: CommandRecord) => boolean) => copy.commands.find(id)!;
  const source = (c: CommandRecord, from: string, change: Partial<CommandRecord>): CommandRecord => ({ ...c, ...change, provenance: { kind: 'source', from } });
  const deploy = take(p2('drbd1', 42));
  const assignments = take(p2('drbd1', 43));
  const mkfs = take(p2('drbd1', 61));
  const status = take(p2('drbd1', 62));
  const first = copy.commands.indexOf(take(p2('drbd1', 32)));
  const commands = [
    ...copy.commands.slice(0, first),
    source(deploy, 'test: the 40GB deploy on large pools', {}),
    source(assignments, 'test: r0 ok on the three nodes', {}),
    source(mkfs, 'test: mkfs of the 40GB volume', { command: 'sudo mkfs -t ext4 /dev/drbd100', stdout: mkfs.stdout.replace('Creating filesystem with 488280 1k blocks', 'Creating filesystem with 9765625 4k blocks') }),
    source(status, BLOG_STATUS, {
      stdout: status.stdout.replace(
        /(r0 role:Secondary\n {2}disk:UpToDate\n {2}drbd2 role:Secondary\n {4})peer-disk:UpToDate\n( {2}drbd3 role:Secondary\n {4})peer-disk:UpToDate\n/u,
        '$1replication:SyncSource peer-disk:Inconsistent done:0.42\n$2replication:PausedSyncS peer-disk:Inconsistent done:0.00 resync-suspended:peer\n',
      ),
    }),
    ...copy.commands.slice(copy.commands.indexOf(status) + 1).map((c) => (c.command === 'sudo mount /dev/drbd101 /mnt/r0' ? { ...c, command: 'sudo mount /dev/drbd100 /mnt/r0' } : c)),
  ];
  return { ...copy, commands: commands.map((c, i) => ({ ...c, seq: i + 1 })) };
}
