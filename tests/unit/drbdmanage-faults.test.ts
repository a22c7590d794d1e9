// The drbdmanage scenarios (ubuntu1804-drbd9) against mutated captures: the recordings built from
// the captured outputs of drbdmanage 0.99.18 / DRBD 9.2.18 (scenarios/recordings/captured), with
// a few outputs changed on purpose, so each assertion of the drbdmanage steps is seen to turn the
// run red with the right classification (failed: DRBD or drbdmanage behaved unlike the
// walkthrough; broken: the harness could not read what it got), while the unchanged recording
// replays green through the same code. Both go through the code a run goes through
// (tests/support/mutation.ts): defineScenario's runScenario, the result file allure-vitest
// writes, the report's reclassification, Allure's category matcher and the nightly's exit code.
// A second group checks that the observers wait through what drbdmanage itself retries (its
// "server not ready" answers) and nothing else.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DrbdmanageError, NOT_READY_ERRORS } from '../../lib/drbd/drbdmanage-result.js';
import { isDrbdParseError } from '../../lib/drbd/errors.js';
import { WHOLE_BOOT_COMMAND } from '../../lib/drbd/kernel-log.js';
import { failureFields, RemoteCommandError, ResyncAmountError, WaitTimeoutError } from '../../lib/errors.js';
import { EXIT } from '../../lib/exit-codes.js';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import type { AllureStep } from '../../lib/report/classify.js';
import { readRecording, type Recording } from '../../lib/scenario/recording.js';
import { ReplayMismatchError } from '../../lib/scenario/replay-lab.js';
import { drbdmanageHostnamePitfall } from '../../scenarios/steps/drbdmanage/hostname.js';
import { drbdmanageRebootPersistence } from '../../scenarios/steps/drbdmanage/reboot.js';
import { drbdmanageServices } from '../../scenarios/steps/drbdmanage/services.js';
import { drbdmanageWalkthrough } from '../../scenarios/steps/drbdmanage/walkthrough.js';
import { cmd, REBOOT_FILE } from '../../scenarios/steps/drbdmanage/commands.js';
import { answeredFirst, capture, classifyLikeTheNightly, mutate, replayThroughDefineScenario, causes, type Edit, type Mutation } from '../support/mutation.js';

const CAPTURED = join(import.meta.dirname, '../../scenarios/recordings/captured');

const hasCause = (type: new (...a: never[]) => unknown) => (err: unknown) => causes(err).some((e) => e instanceof type);
/** The table without the row of `node`. */
const withoutRow = (node: string) => (c: CommandRecord) => ({ stdout: c.stdout.split('\n').filter((l) => !l.includes(` ${node} `) && !l.includes(`m${node}\u001b`)).join('\n') });

/** The `k`-th record of `command` (one the captures have no id for: constructed from source). */
const sourced = (command: string, k = 0) => (c: CommandRecord, _i: number, all: readonly CommandRecord[]) => c.command === command && all.filter((x) => x.command === command).indexOf(c) === k;

/** The three nodes ok, as drbd3's server listed them before its restart (the hostname recording's record #7). */
const NODES_3_OK = (_c: CommandRecord) => readRecording(join(CAPTURED, 'hostname.ubuntu1804-drbd9.json')).commands.find(capture('p4-hostname-pitfall__drbd3.jsonl:2'))!.stdout;

/** The renamed node's list-nodes after the restart, its "Waiting for server" line changed: not drbdmanage's own retries. */
const retriesLine = (name: string, what: string, from: string, to: string): Mutation => ({
  name,
  recording: 'hostname.ubuntu1804-drbd9.json',
  body: drbdmanageHostnamePitfall,
  edits: [{ what: `list-nodes on drbd3-new after the restart: ${what}`, match: capture('p4-hostname-pitfall__drbd3.jsonl:7'), change: (c) => ({ stderr: c.stderr.replace(from, to) }) }],
  expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /list-nodes on drbd3-new: drbdmanage's own retries/ },
});

const MUTATIONS: Mutation[] = [
  // ---- an error line in place of success
  {
    name: 'deploy of r0 500MB says "Error: Not enough free space" (exit 0) instead of success',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'the second deploy-resource r0 3 prints an error line', match: capture('p2-cluster-setup__drbd1.jsonl:42'), change: () => ({ stderr: 'Error: Not enough free space\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "20\. deploy-resource r0 3; list-assignments: r0 ok on all three nodes" failed: /, message: /deploy-resource r0 3: drbdmanage printed errors .*expected \[ 'Error: Not enough free space' \] to deeply equal \[\]/su },
  },
  {
    name: 'init prints its success line and an error line',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'init: "Error: Object already exists" after the success line', match: capture('p2-cluster-setup__drbd1.jsonl:4'), change: (c) => ({ stderr: `${c.stderr}Error: Object already exists\n` }) }],
    expected: { status: 'failed', category: 'product', step: /^step "11\. drbdmanage init/, message: /drbdmanage init: drbdmanage printed errors/ },
  },
  {
    name: 'the join on drbd2 is rolled back',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'join: "JOIN ERROR" and "Initialization failed" instead of success', match: capture('p2-cluster-setup__drbd2.jsonl:2'), change: () => ({ stderr: 'JOIN ERROR: This node has no node entry in the drbdmanage configuration\nInitialization failed\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "14\. On drbd2: the join command/, message: /join on drbd2: drbdmanage printed errors/ },
  },
  {
    name: 'the 40GB deploy on 2 GiB pools succeeds (it must not on pools smaller than the volume)',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'the first deploy-resource r0 3 says Operation completed successfully', match: capture('p2-cluster-setup__drbd1.jsonl:32'), change: () => ({ stderr: 'Operation completed successfully\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "20\. deploy-resource r0 3 on pools of 2036 MiB/, message: /deploy-resource r0 3: error lines/ },
  },
  // ---- a node missing from the list
  {
    name: 'drbd3 missing from list-nodes -m after its join',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: "list-nodes -m without drbd3's line", match: capture('p2-cluster-setup__drbd1.jsonl:18'), change: (c) => ({ stdout: c.stdout.split('\n').filter((l) => !l.startsWith('drbd3,')).join('\n') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "16\. All three nodes ok/, message: /nodes in list-nodes -m: expected \[ 'drbd1', 'drbd2' \] to deeply equal \[ 'drbd1', 'drbd2', 'drbd3' \]/ },
  },
  {
    name: 'drbd2 missing from list-nodes between add-node and its join',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: "list-nodes right after add-node drbd2 without drbd2's row", match: capture('p2-cluster-setup__drbd1.jsonl:13'), change: withoutRow('drbd2') }],
    expected: { status: 'failed', category: 'product', step: /^step "13\. add-node drbd2/, message: /drbd2 in list-nodes after add-node: expected undefined to be defined/ },
  },
  {
    name: 'the renamed drbd3 missing from drbd1\'s list-nodes (renamed in the cluster, or gone)',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: "drbd1's list-nodes after the restart without drbd3's row", match: capture('p4-hostname-pitfall__drbd1.jsonl:2'), change: withoutRow('drbd3') }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /list-nodes on drbd1 \(drbd1:ok, drbd2:ok\): expected \[ 'drbd1', 'drbd2' \] to deeply equal/ },
  },
  // ---- a volume not deployed
  {
    name: 'r0 not deployed on drbd3 after deploy: list-assignments shows it pending',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: "drbd3's r0 row pending deploy", match: capture('p2-cluster-setup__drbd1.jsonl:43'), change: (c) => ({ stdout: c.stdout.replace(/(\| \u001b\[0;36mdrbd3\u001b\[0m \|.*?\| +)\u001b\[0;32mok\u001b\[0m \|/u, '$1\u001b[1;33mpending\u001b[0m |') }) }],
    // The wait does not take it: it asks again, where the recording goes on to mkfs.
    expected: { status: 'failed', category: 'product', step: /^step "20\. deploy-resource r0 3; list-assignments/, message: /recording has drbd1\$ sudo mkfs -t ext4 \/dev\/drbd100\n {2}but the scenario ran drbd1\$ sudo drbdmanage list-assignments/, error: hasCause(ReplayMismatchError) },
  },
  {
    name: 'r0 not deployed on drbd3: DRBD shows r0 without drbd3',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'drbdsetup status after mkfs: r0 without its drbd3 connection', match: capture('p2-cluster-setup__drbd1.jsonl:62'), change: (c) => ({ stdout: c.stdout.replace(/(r0 role:Secondary\n {2}disk:UpToDate\n {2}drbd2 role:Secondary\n {4}peer-disk:UpToDate\n) {2}drbd3 role:Secondary\n {4}peer-disk:UpToDate\n/u, '$1') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "22\. drbdsetup status: r0 on drbd1/, message: /recording has drbd1\$ sudo mkdir -p \/mnt\/r0\n {2}but the scenario ran drbd1\$ sudo drbdsetup status/, error: hasCause(ReplayMismatchError) },
  },
  {
    name: 'the blog\'s 40GB volume made a 40 GB file system on the small lab volume',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'mkfs on /dev/drbd101 reports 9765625 4k blocks', match: capture('p2-cluster-setup__drbd1.jsonl:61'), change: (c) => ({ stdout: c.stdout.replace('Creating filesystem with 488280 1k blocks', 'Creating filesystem with 9765625 4k blocks') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "21\. mkfs -t ext4 \/dev\/drbd101/, message: /9765625 4k blocks for 500MB/ },
  },
  // ---- the other real behaviours the steps follow
  {
    name: 'drbdmanage gives drbd3 the node id drbd2 has (the blog\'s "1")',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'add-node drbd3 prints a join line with node id 1', match: capture('p2-cluster-setup__drbd1.jsonl:15'), change: (c) => ({ stdout: c.stdout.replace('10.255.255.103 2 drbd1', '10.255.255.103 1 drbd1') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "16\. add-node drbd3/, message: /node id 1 for drbd3 is already taken/ },
  },
  {
    name: 'the package enables drbdmanaged.service',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'is-enabled on drbd1 before the reboots: disabled, enabled (exit 0)', match: capture('p3-reboot__drbd1.jsonl:2'), change: () => ({ stdout: 'disabled\nenabled\n', exitCode: 0 }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. As installed/, message: /drbd1: systemctl is-enabled drbd\.service drbdmanaged\.service/ },
  },
  {
    name: 'DRBD comes back by itself after a reboot with the units as installed',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd3's drbdadm status after the first reboot shows its resources", match: capture('p3-reboot__drbd3.jsonl:8'), change: () => ({ stdout: '.drbdctrl role:Secondary\n  volume:0 disk:UpToDate\n  volume:1 disk:UpToDate\n\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. drbd3 rebooted with the units as installed/, message: /drbd3: drbdadm status after the reboot: expected '\.drbdctrl role:Secondary/ },
  },
  {
    name: 'the rebooted drbd3 is not OFFLINE to drbd1',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd1's drbdadm status: r0's connection to drbd3 Connected", match: capture('p3-reboot__drbd1.jsonl:5'), change: (c) => ({ stdout: c.stdout.replace(/(r0 role:Secondary\n {2}disk:UpToDate\n {2}drbd2 role:Secondary\n {4}peer-disk:UpToDate\n) {2}drbd3 connection:Connecting\n/u, '$1  drbd3 role:Secondary\n    peer-disk:UpToDate\n') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. drbd3 rebooted/, message: /drbd1: r0's connection to drbd3: expected undefined to be 'Connecting'/ },
  },
  {
    name: 'enabling drbdmanaged.service prints no symlink',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'systemctl enable on drbd3 prints nothing', match: capture('p3-reboot__drbd3.jsonl:14'), change: () => ({ stderr: '' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. systemctl enable drbdmanaged\.service on drbd3/, message: /drbd3: systemctl enable drbdmanaged\.service/ },
  },
  {
    name: 'a rename does not break the node: drbdadm adjust all still finds it',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'drbdadm adjust all on drbd3-new exits 0', match: capture('p4-hostname-pitfall__drbd3.jsonl:4'), change: () => ({ exitCode: 0, stderr: '' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbd3 renamed drbd3-new/, message: /drbdadm adjust all on drbd3-new: exit code: expected \+0 to be 1/ },
  },
  {
    name: 'a rename does not break the node: its restarted server lists the cluster',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'list-nodes on drbd3-new after the restart: the table, no error', match: capture('p4-hostname-pitfall__drbd3.jsonl:7'), change: (c) => ({ stderr: c.stderr.replace(/Error: Satellite could not request control volume from leader\n/u, '') }) }],
    // The message carries the output, both streams, its ends trimmed.
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /list-nodes on drbd3-new: error lines \(output: No nodes defined\nERROR:dbus\.proxies:Introspect error[^]*\nWaiting for server: \.{15}\): expected \[\] to deeply equal/ },
  },
  retriesLine("the renamed node's list-nodes gave up after fewer than drbdmanage's retries", 'five dots of "Waiting for server"', 'Waiting for server: ...............', 'Waiting for server: .....'),
  retriesLine('the renamed node\'s "Waiting for server" line is not the retries\' own (text after the dots)', 'the dots and more', 'Waiting for server: ...............', 'Waiting for server: ............... skipped'),
  retriesLine('the renamed node\'s "Waiting for server" line is not the retries\' own (text before it)', 'the line quoted in another', '\nWaiting for server: ', '\nNot Waiting for server: '),
  {
    name: "drbdmanaged restarted under the new name: its journal does not name the new name",
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: "drbd3-new's journal: initializing on node 'drbd3'", match: capture('p4-hostname-pitfall__drbd3.jsonl:9'), change: (c) => ({ stdout: c.stdout.replaceAll("initializing on node 'drbd3-new'", "initializing on node 'drbd3'") }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /drbdmanaged's journal on drbd3-new/ },
  },
  {
    name: 'drbdmanaged restarted under the new name adjusts .drbdctrl fine (no "not defined" in its journal)',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: "drbd3-new's journal without the .drbdctrl error", match: capture('p4-hostname-pitfall__drbd3.jsonl:9'), change: (c) => ({ stdout: c.stdout.replaceAll("'.drbdctrl' not defined in your config (for this host).", "'.drbdctrl' adjusted.") }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /drbdmanaged's journal on drbd3-new/ },
  },
  // ---- the hostname scenario's other checks, each in its own step
  {
    name: 'whether the cluster is there cannot be read before the rename: a failure of step 0',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: "drbd1's first list-nodes prints a server error", match: capture('p4-hostname-pitfall__drbd1.jsonl:1'), change: () => ({ stdout: 'No nodes defined\n', stderr: 'Error: Object not found\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "0\. Before: the walkthrough's cluster/, message: /`sudo drbdmanage list-nodes` printed Error: Object not found/, error: hasCause(DrbdmanageError) },
  },
  {
    name: 'the rename did not take: hostname still says drbd3',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'hostname; uname -n after the rename: drbd3, drbd3-new', match: capture('p4-hostname-pitfall__drbd3.jsonl:1'), change: () => ({ stdout: 'drbd3\ndrbd3-new\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbd3 renamed drbd3-new/, message: /hostname; uname -n after the rename: expected \[ 'drbd3', 'drbd3-new' \] to deeply equal \[ 'drbd3-new', 'drbd3-new' \]/ },
  },
  {
    name: 'the rename itself fails: the lab is broken, DRBD has not failed',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'hostnamectl set-hostname exits 1', match: capture('p4-hostname-pitfall__drbd3.jsonl:1'), change: () => ({ stdout: '', stderr: 'Could not set static hostname: Access denied\n', exitCode: 1 }) }],
    expected: { status: 'broken', category: 'infra-other', step: /^step "10\. drbd3 renamed drbd3-new/, message: /drbd3: `sudo hostnamectl set-hostname drbd3-new; hostname; uname -n` exited 1\n {2}Could not set static hostname/, error: (e) => causes(e).some((x) => x instanceof RemoteCommandError && x.kind === 'infrastructure') },
  },
  {
    name: 'drbdadm adjust all on the renamed node fails otherwise than "no resources for this host"',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'drbdadm adjust all: another error', match: capture('p4-hostname-pitfall__drbd3.jsonl:4'), change: () => ({ stderr: 'r0: Failure: (102) Local address(port) already in use.\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbd3 renamed drbd3-new/, message: /drbdadm adjust all on drbd3-new: stderr: expected \[/ },
  },
  {
    name: 'the restarted server under the new name still lists the cluster after its error',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'list-nodes on drbd3-new after the restart: the table with the error line', match: capture('p4-hostname-pitfall__drbd3.jsonl:7'), change: (c) => ({ stdout: NODES_3_OK(c) }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /list-nodes on drbd3-new: no nodes: expected \[/ },
  },
  {
    name: 'list-nodes on the renamed node exits 1 after the server error',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'list-nodes on drbd3-new after the restart: exit 1', match: capture('p4-hostname-pitfall__drbd3.jsonl:7'), change: () => ({ exitCode: 1 }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /list-nodes on drbd3-new: exit code \(drbdmanage exits 0 after a server error\): expected 1 to be \+0/ },
  },
  {
    name: "drbd1's server not ready when asked for the cluster's names: no nodes, not a pass",
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: "drbd1's list-nodes after the restart: not ready", match: capture('p4-hostname-pitfall__drbd1.jsonl:2'), change: () => ({ stdout: '', stderr: `Waiting for server: ...............\n${NOT_READY_ERRORS[0]}\n` }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbdmanaged restarted under the new name/, message: /list-nodes on drbd1 \(\(no nodes\)\): expected \[\] to deeply equal \[ 'drbd1', 'drbd2', 'drbd3' \]/ },
  },
  {
    name: 'the reboot lost the new name',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'hostname after the reboot: drbd3', match: capture('p4-hostname-pitfall__drbd3.jsonl:11'), change: () => ({ stdout: 'drbd3\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbd3-new rebooted: the name stays/, message: /hostname after the reboot: expected 'drbd3' to be 'drbd3-new'/ },
  },
  {
    name: 'DRBD comes up on the renamed node after its reboot',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'drbdadm status on drbd3-new after the reboot: .drbdctrl up', match: capture('p4-hostname-pitfall__drbd3.jsonl:13'), change: () => ({ stdout: '.drbdctrl role:Secondary\n  volume:0 disk:UpToDate\n  volume:1 disk:UpToDate\n\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. drbd3-new rebooted/, message: /drbdadm status on drbd3-new after the reboot: expected '\.drbdctrl role:Secondary/ },
  },
  {
    name: 'the old name does not come back',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'hostnamectl set-hostname drbd3; hostname: drbd3-new', match: capture('p4-hostname-pitfall__drbd3.jsonl:17'), change: () => ({ stdout: 'drbd3-new\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. Hostname restored and drbd3 rebooted: back in the cluster/, message: /hostname: expected 'drbd3-new' to be 'drbd3'/ },
  },
  {
    name: 'setting the old name back fails: the lab is broken, DRBD has not failed',
    recording: 'hostname.ubuntu1804-drbd9.json',
    body: drbdmanageHostnamePitfall,
    edits: [{ what: 'hostnamectl set-hostname drbd3 exits 1', match: capture('p4-hostname-pitfall__drbd3.jsonl:17'), change: () => ({ stdout: '', stderr: 'Could not set static hostname: Access denied\n', exitCode: 1 }) }],
    expected: { status: 'broken', category: 'infra-other', step: /^step "10\. Hostname restored/, message: /drbd3: `sudo hostnamectl set-hostname drbd3; hostname` exited 1/, error: (e) => causes(e).some((x) => x instanceof RemoteCommandError && x.kind === 'infrastructure') },
  },
  // ---- the reboot scenario's other checks, each in its own step
  {
    name: 'writing the test file fails: the lab is broken, DRBD has not failed',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'dd of the test file exits 1', match: sourced(cmd.writeRebootFile), change: () => ({ stderr: 'dd: error writing \'/mnt/r0/reboot.bin\': No space left on device\n', exitCode: 1 }) }],
    expected: { status: 'broken', category: 'infra-other', step: /^step "0\. Before/, message: /drbd1: `sudo dd if=\/dev\/urandom of=\/mnt\/r0\/reboot\.bin [^`]*` exited 1\n {2}dd: error writing/, error: (e) => causes(e).some((x) => x instanceof RemoteCommandError && x.kind === 'infrastructure') },
  },
  {
    name: 'sha256sum prints no checksum',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'sha256sum of the written file: no hash', match: sourced(cmd.sha256(REBOOT_FILE)), change: () => ({ stdout: 'no hash here\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "0\. Before/, message: /sha256sum output: no hash here: expected null not to be null/ },
  },
  {
    name: 'r0 stays Primary on drbd1 after umount (no auto-demote)',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'umount; drbdadm status r0: r0 Primary', match: capture('p2-cluster-setup__drbd1.jsonl:84'), change: (c) => ({ stdout: c.stdout.replace('r0 role:Secondary', 'r0 role:Primary') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "0\. Before/, message: /r0 on drbd1 after umount: expected 'Primary' to be 'Secondary'/ },
  },
  {
    name: "drbd2's drbdmanaged.service is active as installed",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd2's systemctl status exits 0", match: capture('p3-reboot__drbd2.jsonl:3'), change: () => ({ exitCode: 0 }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. As installed/, message: /drbd2: systemctl status drbdmanaged\.service: expected \[ \+0, 'inactive \(dead\)' \] to deeply equal \[ 3, 'inactive \(dead\)' \]/ },
  },
  {
    name: 'no drbdmanaged server on drbd2 as installed',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd2's ps without dbus-drbdmanaged-service", match: capture('p3-reboot__drbd2.jsonl:4'), change: (c) => ({ stdout: c.stdout.split('\n').filter((l) => !l.includes('dbus-drbdmanaged-service')).join('\n') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. As installed/, message: /drbd2: a drbdmanaged server \(dbus-drbdmanaged-service\) runs: expected false to be true/ },
  },
  {
    name: 'a drbdmanaged server runs on drbd3 right after its reboot',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd3's ps after the reboot shows the server", match: capture('p3-reboot__drbd3.jsonl:10'), change: (c) => ({ stdout: `${c.stdout.trimEnd()}\n    301       1 Mon Dec  7 00:04:09 2026 /usr/bin/python2 /usr/bin/dbus-drbdmanaged-service\n` }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. drbd3 rebooted with the units as installed/, message: /drbd3: no drbdmanaged server after the reboot: expected true to be false/ },
  },
  {
    name: 'the first drbdmanage command on drbd3 starts no server',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd3's ps after list-nodes without the server", match: capture('p3-reboot__drbd3.jsonl:12'), change: (c) => ({ stdout: c.stdout.split('\n').filter((l) => !l.includes('dbus-drbdmanaged-service')).join('\n') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. The first drbdmanage command on drbd3/, message: /drbd3: the drbdmanaged server D-Bus started: expected false to be true/ },
  },
  {
    name: 'drbdmanaged.service not running after the reboot with the unit enabled',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd3's systemctl status after the second reboot: inactive", match: capture('p3-reboot__drbd3.jsonl:16'), change: (c) => ({ stdout: c.stdout.replace('Active: active (running)', 'Active: inactive (dead)'), exitCode: 3 }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. systemctl enable drbdmanaged\.service on drbd3/, message: /drbd3: drbdmanaged\.service after the reboot: expected \[ 'enabled', 'inactive \(dead\)' \]/ },
  },
  {
    name: '.drbdctrl Primary on two nodes after the reboot',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd3's last drbdadm status: .drbdctrl Primary here too", match: capture('p3-reboot__drbd3.jsonl:21'), change: (c) => ({ stdout: c.stdout.replace('.drbdctrl role:Secondary', '.drbdctrl role:Primary') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. systemctl enable/, message: /\.drbdctrl Primaries: expected \[ 'drbd3', 'drbd1' \] to have a length of 1/ },
  },
  {
    name: "drbdmanaged's journal of this boot names another node",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "journal: initializing on node 'drbd9'", match: capture('p3-reboot__drbd3.jsonl:22'), change: (c) => ({ stdout: c.stdout.replace("initializing on node 'drbd3'", "initializing on node 'drbd9'") }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. systemctl enable/, message: /drbd3: drbdmanaged's journal of this boot: expected '[^']*' to match \/initializing on node 'drbd3'\/u/ },
  },
  {
    name: "drbdmanaged's journal of this boot does not start r0",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "journal without starting resource 'r0'", match: capture('p3-reboot__drbd3.jsonl:22'), change: (c) => ({ stdout: c.stdout.replace("starting resource 'r0'", "skipping resource 'r0'") }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. systemctl enable/, message: /drbd3: drbdmanaged's journal of this boot: expected '[^']*' to match \/starting resource 'r0'\/u/ },
  },
  {
    name: "r0's data changed across the reboots",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'sha256sum after the reboots: another hash', match: sourced(cmd.sha256(REBOOT_FILE), 1), change: (c) => ({ stdout: c.stdout.replace(/^a7/u, 'b7') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. r0's data intact after the reboots/, message: /\/mnt\/r0\/reboot\.bin after the reboots: expected 'b7286ba8[0-9a-f]*…' to be 'a7286ba8/ },
  },
  {
    name: 'sha256sum prints a longer hash than a SHA-256 (another algorithm): no checksum read from its tail',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'sha256sum of the written file: 96 hex digits', match: sourced(cmd.sha256(REBOOT_FILE)), change: (c) => ({ stdout: `${'0'.repeat(32)}${c.stdout}` }) }],
    expected: { status: 'failed', category: 'product', step: /^step "0\. Before/, message: /sha256sum output: 0{32}a7286ba8[0-9a-f]{56} {2}\/mnt\/r0\/reboot\.bin\n?: expected null not to be null/ },
  },
  {
    name: 'drbdadm status prints nothing after the umount: the failure names r0, not a TypeError',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'umount; drbdadm status r0: no output', match: capture('p2-cluster-setup__drbd1.jsonl:84'), change: () => ({ stdout: '' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "0\. Before/, message: /r0 on drbd1 after umount: expected undefined to be 'Secondary'/ },
  },
  {
    name: "drbd1's drbdadm status after the reboot has no r0: the failure names the connection, not a TypeError",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd1's drbdadm status without r0", match: capture('p3-reboot__drbd1.jsonl:5'), change: (c) => ({ stdout: c.stdout.replace(/^r0 role:Secondary\n(?: {2}.*\n)*\n/mu, '') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. drbd3 rebooted/, message: /drbd1: r0's connection to drbd3: expected undefined to be 'Connecting'/ },
  },
  {
    name: "drbd1's r0 has no drbd3 at all after the reboot: the failure names the connection, not a TypeError",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd1's drbdadm status: r0 without its drbd3 connection", match: capture('p3-reboot__drbd1.jsonl:5'), change: (c) => ({ stdout: c.stdout.replace(/^(r0 role:Secondary\n(?: {2}.*\n)*?) {2}drbd3 connection:Connecting\n/mu, '$1') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. drbd3 rebooted/, message: /drbd1: r0's connection to drbd3: expected undefined to be 'Connecting'/ },
  },
  {
    name: "drbdmanaged.service's unit file could not be loaded after the reboot: the failure names the unit, not a TypeError",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{
      what: "drbd3's systemctl status after the second reboot: bad-setting, inactive",
      match: capture('p3-reboot__drbd3.jsonl:16'),
      change: (c) => ({
        stdout: c.stdout.replace(/Loaded: loaded \([^)]*\)/u, 'Loaded: bad-setting (Reason: Unit drbdmanaged.service has a bad unit file setting.)').replace(/Active: active \(running\)[^\n]*/u, 'Active: inactive (dead)'),
        exitCode: 3,
      }),
    }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. systemctl enable drbdmanaged\.service on drbd3/, message: /drbd3: drbdmanaged\.service after the reboot: expected \[ undefined, 'inactive \(dead\)' \]/ },
  },
  {
    name: "drbd3's kernel log shows a full resync from drbd1 after the reboot",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{
      what: "drbd3's kernel log of the boot: the whole bitmap written and r0's 488282 KB resynced after the handshake with drbd1",
      match: sourced(WHOLE_BOOT_COMMAND),
      change: (c) => ({
        stdout: c.stdout.replace(
          'drbd r0/0 drbd101 drbd1: uuid_compare()=no-sync by rule=reconnected\n',
          '$&drbd r0/0 drbd101 drbd1: Writing the whole bitmap, full sync required after drbd_sync_handshake.\ndrbd r0/0 drbd101 drbd1: Began resync as SyncTarget (will sync 488282 KB [122071 bits set]).\n',
        ),
      }),
    }],
    expected: {
      status: 'failed',
      category: 'product',
      step: /^step "25\. after the reboot DRBD resynced only what its bitmap held, not the whole r0 \(drbd3's kernel log\)" failed: /,
      message: /r0: full resync of 488282 KB after the reboot \(the whole device\); expected a bitmap-based resync under 4096 KB\n {2}drbd3: [^\n]*whole bitmap set/,
      error: (e) => causes(e).some((x) => x instanceof ResyncAmountError && x.resource === 'r0' && x.full && x.kib === 488282),
    },
  },
  {
    name: "drbd3's kernel log has no handshake with drbd2 after the reboot",
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: "drbd3's kernel log of the boot without drbd2's lines", match: sourced(WHOLE_BOOT_COMMAND), change: (c) => ({ stdout: c.stdout.split('\n').filter((l) => !/ drbd2: /u.test(l)).join('\n') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. after the reboot DRBD resynced only/, message: /drbd3: sync handshakes of drbd101 in this boot's kernel log: expected \[ 'drbd1' \] to deeply equal \[ 'drbd1', 'drbd2' \]/ },
  },
  {
    name: 'the D-Bus activation file starts the unit instead (SystemdService=)',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's activation file names drbdmanaged.service", match: capture('p1-versions-prep__drbd2.jsonl:18'), change: (c) => ({ stdout: `${c.stdout}\nSystemdService=drbdmanaged.service\n` }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. drbdmanaged\.service is installed/, message: /drbd2: D-Bus activation file: SystemdService: expected 'drbdmanaged\.service' to be undefined/ },
  },
  {
    name: 'systemctl status drbd.service: enabled by the package',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd3's drbd.service enabled", match: capture('p1-versions-prep__drbd3.jsonl:14'), change: (c) => ({ stdout: c.stdout.replace('drbd.service; disabled;', 'drbd.service; enabled;') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. systemctl status drbd\.service/, message: /drbd3: drbd\.service unit file/ },
  },
  {
    name: 'systemctl status drbd.service exits 0: the failure names the node',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's drbd.service active", match: capture('p1-versions-prep__drbd2.jsonl:14'), change: () => ({ exitCode: 0 }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. systemctl status drbd\.service/, message: /drbd2: systemctl status drbd\.service: exit code: expected \+0 to be 3/ },
  },
  {
    name: "drbd.service's description is another: the failure names the node",
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's description without the advice", match: capture('p1-versions-prep__drbd2.jsonl:14'), change: (c) => ({ stdout: c.stdout.replace(' -- please disable. Unless you are NOT using a cluster manager.', '') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. systemctl status drbd\.service/, message: /drbd2: drbd\.service: expected 'DRBD' to be 'DRBD -- please disable/ },
  },
  {
    name: 'drbd.service is running: the failure names the node',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's drbd.service active (exited)", match: capture('p1-versions-prep__drbd2.jsonl:14'), change: (c) => ({ stdout: c.stdout.replace('Active: inactive (dead)', 'Active: active (exited)') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. systemctl status drbd\.service/, message: /drbd2: drbd\.service: expected 'active \(exited\)' to be 'inactive \(dead\)'/ },
  },
  {
    name: "no drbd unit file at all (grep finds nothing, exit 1): drbd.service missing, DRBD's packaging, not a harness error",
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's list-unit-files | grep: nothing", match: capture('p1-versions-prep__drbd2.jsonl:12'), change: () => ({ exitCode: 1, stdout: '' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. drbdmanaged\.service is installed/, message: /drbd2: drbd\.service in list-unit-files: expected undefined to be 'disabled'/ },
  },
  {
    name: 'drbdmanaged.service is not installed: the failure names the node',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's list without drbdmanaged.service", match: capture('p1-versions-prep__drbd2.jsonl:12'), change: (c) => ({ stdout: c.stdout.replace(/^drbdmanaged\.service .*\n/mu, '') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. drbdmanaged\.service is installed/, message: /drbd2: units in list-unit-files: expected \[/ },
  },
  {
    name: 'the D-Bus activation file registers another name: the failure names the node',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's Name= differs", match: capture('p1-versions-prep__drbd2.jsonl:18'), change: (c) => ({ stdout: c.stdout.replace('Name=org.drbd.drbdmanaged', 'Name=org.drbd.other') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. drbdmanaged\.service is installed/, message: /drbd2: D-Bus activation file: expected 'org\.drbd\.other' to be 'org\.drbd\.drbdmanaged'/ },
  },
  {
    name: 'the D-Bus activation file starts another program: the failure names the node',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's Exec= differs", match: capture('p1-versions-prep__drbd2.jsonl:18'), change: (c) => ({ stdout: c.stdout.replace('Exec=/usr/bin/dbus-drbdmanaged-service', 'Exec=/usr/bin/other') }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. drbdmanaged\.service is installed/, message: /drbd2: D-Bus activation file: expected '\/usr\/bin\/other' to be '\/usr\/bin\/dbus-drbdmanaged-service'/ },
  },
  {
    name: 'no drbdmanage or dbus-daemon process (grep finds nothing, exit 1): no server, the check says so',
    recording: 'services.ubuntu1804-drbd9.json',
    body: drbdmanageServices,
    edits: [{ what: "drbd2's ps | grep: nothing", match: capture('p3-reboot__drbd2.jsonl:4'), change: () => ({ exitCode: 1, stdout: '' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "25\. drbdmanaged\.service is installed/, message: /drbd2: a drbdmanaged server runs: expected false to be true/ },
  },
  // ---- observers: anything but drbdmanage's own "not ready" ends a wait at once
  {
    name: 'list-nodes in a wait prints "Error: Object not found": a failure at once, not "not yet"',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'list-nodes after the join of drbd2: no table, a server error', match: capture('p2-cluster-setup__drbd1.jsonl:14'), change: () => ({ stdout: 'No nodes defined\n', stderr: 'Error: Object not found\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "15\. list-nodes on drbd1/, message: /drbd1: `sudo drbdmanage list-nodes` printed Error: Object not found \(exit 0\)\n {2}No nodes defined/, error: hasCause(DrbdmanageError) },
  },
  {
    name: 'list-assignments in a wait cannot reach drbdmanaged over D-Bus (exit 1)',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'list-assignments after deploy: the D-Bus error, exit 1', match: capture('p2-cluster-setup__drbd1.jsonl:43'), change: () => ({ stdout: '', stderr: '\nError: Cannot connect to the drbdmanaged process using DBus\nThe DBus subsystem returned the following error description:\norg.freedesktop.DBus.Error.ServiceUnknown: The name org.drbd.drbdmanaged was not provided by any .service files\n', exitCode: 1 }) }],
    expected: { status: 'failed', category: 'product', step: /^step "20\. deploy-resource r0 3; list-assignments/, message: /printed Error: Cannot connect to the drbdmanaged process using DBus \(exit 1\)\n.*ServiceUnknown/su, error: hasCause(DrbdmanageError) },
  },
  {
    name: 'drbdadm status in a wait fails otherwise than "not there yet"',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'drbdadm status r0 after the mount exits 20', match: capture('p2-cluster-setup__drbd1.jsonl:80'), change: () => ({ stdout: '', stderr: "Command 'drbdsetup status r0' terminated with exit code 20\n", exitCode: 20 }) }],
    expected: { status: 'failed', category: 'product', step: /^step "23\. Mount/, message: /drbd1: `sudo drbdadm status r0` exited 20\n {2}Command 'drbdsetup status r0' terminated with exit code 20/, error: hasCause(RemoteCommandError) },
  },
  {
    name: 'whether r0 is deployed cannot be read: a failure, not a reason to build the cluster again',
    recording: 'reboot.ubuntu1804-drbd9.json',
    body: drbdmanageRebootPersistence,
    edits: [{ what: 'the first list-assignments prints a server error', match: capture('p2-cluster-setup__drbd1.jsonl:82'), change: () => ({ stdout: 'No assignments defined\n', stderr: 'Error: Partition does not have a quorum\n' }) }],
    expected: { status: 'failed', category: 'product', step: /^step "0\. Before/, message: /printed Error: Partition does not have a quorum/, error: hasCause(DrbdmanageError) },
  },
  {
    name: 'a status line no parser knows',
    recording: 'walkthrough.ubuntu1804-drbd9.json',
    body: drbdmanageWalkthrough,
    edits: [{ what: 'drbdsetup status of step 17 with a line at an indentation drbdsetup never prints', match: capture('p2-cluster-setup__drbd1.jsonl:19'), change: (c) => ({ stdout: c.stdout.replace(/\n*$/u, '\n   quorum:no\n') }) }],
    expected: { status: 'broken', category: 'harness', step: /^step "17\. drbdsetup status/, message: /drbdsetup-status: unexpected indentation \(3 spaces\)/, error: (e) => causes(e).some(isDrbdParseError) && failureFields(e)?.kind === 'parse' },
  },
];

describe('drbdmanage mutations: each turns the captured replay red, with the right classification, at once', () => {
  for (const m of MUTATIONS) {
    it(`${m.name} (${m.recording})`, async () => {
      const original = readRecording(join(CAPTURED, m.recording));
      expect(original.evidence).toBe('captured');

      const green = await replayThroughDefineScenario(original, m.body);
      expect(green.err, 'the unchanged recording replays green').toBeUndefined();
      expect(green.remaining, 'and uses up the recording').toBe(0);
      expect(await classifyLikeTheNightly(green), 'the unchanged recording as the report and the nightly see it').toEqual({ status: 'passed', category: undefined, exitCode: EXIT.ok });

      const red = await replayThroughDefineScenario(mutate(original, m.edits), m.body);
      expect(red.err, 'the mutated recording fails').toBeInstanceOf(Error);
      const err = red.err as Error;
      const reported = await classifyLikeTheNightly(red);
      expect(reported.status, `reported status (${err.message.split('\n')[0]})`).toBe(m.expected.status);
      expect(reported.category).toBe(m.expected.category);
      expect(reported.exitCode, "the nightly's exit code").toBe(m.expected.status === 'failed' ? EXIT.failed : EXIT.broken);
      expect(err.message).toMatch(m.expected.step);
      expect(err.message).toMatch(m.expected.message);
      if (m.expected.error) expect(m.expected.error(err), `error type: ${err.name}`).toBe(true);
      expect(causes(err).filter((e) => e instanceof WaitTimeoutError), 'no wait ran out its time').toEqual([]);
    });
  }
});

describe('drbdmanage observers wait through what drbdmanage itself retries', () => {
  const walkthrough = () => readRecording(join(CAPTURED, 'walkthrough.ubuntu1804-drbd9.json'));

  for (const error of NOT_READY_ERRORS) {
    it(`waitForNodes: "${error}" is "not yet"`, async () => {
      const recording = answeredFirst(walkthrough(), capture('p2-cluster-setup__drbd1.jsonl:14'), { stdout: 'No nodes defined\n', stderr: `Waiting for server: ...............\n${error}\n`, exitCode: 0 });
      const r = await replayThroughDefineScenario(recording, drbdmanageWalkthrough);
      expect(r.err).toBeUndefined();
      expect(r.remaining).toBe(0);
    });
  }

  it('waitForStatus: a resource drbdadm does not know yet on this node is "not yet"', async () => {
    const recording = answeredFirst(walkthrough(), capture('p2-cluster-setup__drbd1.jsonl:80'), { stdout: '', stderr: "'r0' not defined in your config (for this host).\n", exitCode: 1 });
    const r = await replayThroughDefineScenario(recording, drbdmanageWalkthrough);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it('the same "not ready" error where the step expects a table outside a wait is a failure', async () => {
    const edit: Edit = { what: 'list-volumes -m: not ready', match: capture('p2-cluster-setup__drbd1.jsonl:41'), change: () => ({ stdout: '', stderr: `${NOT_READY_ERRORS[0]}\n` }) };
    const r = await replayThroughDefineScenario(mutate(walkthrough(), [edit]), drbdmanageWalkthrough);
    expect(r.err).toBeInstanceOf(Error);
    expect((r.err as Error).message).toMatch(/`sudo drbdmanage list-volumes -m` printed Error: Server currently not ready, please retry later/u);
  });
});

describe('the hostname scenario: the wait for drbd3 OFFLINE and the restart of drbdmanaged', () => {
  const hostname = () => readRecording(join(CAPTURED, 'hostname.ubuntu1804-drbd9.json'));
  const OFFLINE_LIST = capture('p4-hostname-pitfall__drbd1.jsonl:3');
  const state = (node: string, to: string) => (c: CommandRecord) => c.stdout.replace(new RegExp(`(\\| \u001b\\[0;36m${node}\u001b\\[0m \\|.*\\| +)\u001b\\[[0-9;]+m[^\u001b]+\u001b\\[0m \\|`, 'u'), `$1${to} |`);

  it.each([
    ['drbd3 still ok', state('drbd3', 'ok')],
    ['drbd3 OFFLINE, drbd2 not ok yet', state('drbd2', 'OFFLINE')],
    ['drbd3 OFFLINE, drbd1 not ok yet', state('drbd1', 'pending actions: adjust connections')],
  ])("drbd1's list-nodes with %s first: the wait looks again", async (_t, change) => {
    const recording = hostname();
    const offline = recording.commands.find(OFFLINE_LIST)!;
    const first = change(offline);
    expect(first, 'the earlier answer differs').not.toBe(offline.stdout);
    const r = await replayThroughDefineScenario(answeredFirst(recording, OFFLINE_LIST, { stdout: first, stderr: '', exitCode: 0 }), drbdmanageHostnamePitfall);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  /** drbdmanaged not run by its unit: the scenario restarts it with `drbdmanage restart -q`, whose answer is `said`. */
  const dbusActivated = (said: string, exitCode = 0): Recording => {
    const recording = hostname();
    const i = recording.commands.findIndex(capture('p4-hostname-pitfall__drbd3.jsonl:6'));
    const isActive = recording.commands[i - 1]!;
    expect(isActive.command).toBe('systemctl is-active drbdmanaged.service');
    Object.assign(isActive, { stdout: 'inactive\n', exitCode: 3, provenance: { kind: 'source', from: 'test: the unit not started (D-Bus-activated server)' } });
    Object.assign(recording.commands[i]!, { command: 'sudo drbdmanage restart -q', stdout: said, stderr: '', exitCode, provenance: { kind: 'source', from: 'test: drbdmanage restart (cmd_restart, cmd_startup)' } });
    return recording;
  };

  it('drbdmanaged D-Bus-activated: restarted with `drbdmanage restart -q`, which must say the new server answers', async () => {
    const green = await replayThroughDefineScenario(dbusActivated('Attempting to startup the server through D-Bus activation...\nD-Bus connection successful, server is running and reachable\n'), drbdmanageHostnamePitfall);
    expect(green.err).toBeUndefined();
    expect(green.remaining).toBe(0);
    const red = await replayThroughDefineScenario(dbusActivated('Attempting to startup the server through D-Bus activation...\nD-Bus connection FAILED\n'), drbdmanageHostnamePitfall);
    expect((red.err as Error).message).toMatch(/^step "10\. drbdmanaged restarted under the new name[^]*drbdmanage restart on drbd3: expected/u);
    // A failed exit is judged by what it said too: the failure names the restart, not only its exit code.
    const failed = await replayThroughDefineScenario(dbusActivated('Attempting to startup the server through D-Bus activation...\nD-Bus connection FAILED\n', 1), drbdmanageHostnamePitfall);
    expect((failed.err as Error).message).toMatch(/^step "10\. drbdmanaged restarted under the new name[^]*drbdmanage restart on drbd3: expected 'Attempting/u);
  });

  it("drbd1's list-nodes in another row order: the cluster's names are compared as a set", async () => {
    const reorder = (c: CommandRecord) => {
      const lines = c.stdout.split('\n');
      const rows = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('| \u001b[0;36mdrbd'));
      const reversed = [...rows].reverse();
      rows.forEach(([, i], k) => (lines[i] = reversed[k]![0]));
      return lines.join('\n');
    };
    const recording = hostname();
    const rec = recording.commands.find(capture('p4-hostname-pitfall__drbd1.jsonl:2'))!;
    const before = rec.stdout;
    rec.stdout = reorder(rec);
    expect(rec.stdout, 'the rows moved').not.toBe(before);
    const r = await replayThroughDefineScenario(recording, drbdmanageHostnamePitfall);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });
});

describe('the hostname scenario: a wait that never gets there runs out, a product failure naming what it waited for', () => {
  const hostname = () => readRecording(join(CAPTURED, 'hostname.ubuntu1804-drbd9.json'));
  /** A list-nodes table of the captures in which drbd3 is OFFLINE, and one in which all three are ok. */
  const table = (id: string) => hostname().commands.find(capture(id))!.stdout;
  const OFFLINE = () => table('p4-hostname-pitfall__drbd1.jsonl:3');
  const ALL_OK = () => table('p4-hostname-pitfall__drbd1.jsonl:1');

  it.each([
    ['drbd1 never lists the three ok before the rename', 'p4-hostname-pitfall__drbd1.jsonl:1', OFFLINE, /^step "0\. Before[^]*drbd1: timed out after 180 s waiting for drbd1, drbd2, drbd3 ok; last seen: drbd1:ok, drbd2:ok, drbd3:OFFLINE/u],
    ['the renamed node\'s server never lists the three ok', 'p4-hostname-pitfall__drbd3.jsonl:2', OFFLINE, /^step "10\. drbd3 renamed[^]*drbd3: timed out after 180 s waiting for list-nodes on drbd3-new: the running server still says ok; last seen/u],
    ['r0 never UpToDate on the renamed node', 'p4-hostname-pitfall__drbd3.jsonl:3', () => '', /^step "10\. drbd3 renamed[^]*drbd3: timed out after 120 s waiting for r0 still UpToDate on drbd3-new with drbd1, drbd2; last seen: \(no resources\)/u],
    ['drbd1 never sees drbd3 OFFLINE', 'p4-hostname-pitfall__drbd1.jsonl:3', ALL_OK, /^step "10\. drbd3-new rebooted[^]*drbd1: timed out after 300 s waiting for drbd3 OFFLINE in drbd1's list-nodes; last seen: drbd1:ok, drbd2:ok, drbd3:ok/u],
    ['drbd3 never back in its own list-nodes', 'p4-hostname-pitfall__drbd3.jsonl:20', OFFLINE, /^step "10\. Hostname restored[^]*drbd3: timed out after 300 s waiting for list-nodes on drbd3: all ok; last seen/u],
    ['r0 never UpToDate on drbd3 again', 'p4-hostname-pitfall__drbd3.jsonl:19', () => '', /^step "10\. Hostname restored[^]*drbd3: timed out after 300 s waiting for r0 UpToDate on drbd3 with drbd1, drbd2; last seen: \(no resources\)/u],
    ['drbd1 never lists the three ok again', 'p4-hostname-pitfall__drbd1.jsonl:6', OFFLINE, /^step "10\. Hostname restored[^]*drbd1: timed out after 300 s waiting for drbd1, drbd2, drbd3 ok; last seen: drbd1:ok, drbd2:ok, drbd3:OFFLINE/u],
  ])('%s', async (_t, id, answer, message) => {
    const r = await replayThroughDefineScenario(answeredFirst(hostname(), capture(id), { stdout: answer(), stderr: '', exitCode: 0 }, 70), drbdmanageHostnamePitfall);
    expect(causes(r.err).find((e) => e instanceof WaitTimeoutError), 'a wait ran out its (virtual) time').toMatchObject({ kind: 'product' });
    expect((r.err as Error).message).toMatch(message);
  });
});

describe('the reboot scenario: waits that run out name what they waited for; what a wait or a check must not take', () => {
  const reboot = () => readRecording(join(CAPTURED, 'reboot.ubuntu1804-drbd9.json'));
  const stdoutOf = (id: string) => reboot().commands.find(capture(id))!.stdout;
  const OFFLINE = () => stdoutOf('p3-reboot__drbd1.jsonl:6');
  const ALL_OK = () => stdoutOf('p3-reboot__drbd1.jsonl:8');
  const CTRL_ONLY = () => stdoutOf('p3-reboot__drbd3.jsonl:17');

  it.each([
    ['r0 never in sync before the reboots', 'p2-cluster-setup__drbd1.jsonl:80', () => '', 300, /^step "0\. Before[^]*drbd1: timed out after 2700 s waiting for r0 UpToDate on drbd1, drbd2, drbd3; last seen: \(no resources\)/u],
    ['drbd1 never sees the rebooted drbd3 OFFLINE', 'p3-reboot__drbd1.jsonl:6', ALL_OK, 40, /^step "24\. drbd3 rebooted[^]*drbd1: timed out after 180 s waiting for drbd3 OFFLINE in drbd1's list-nodes; last seen: drbd1:ok, drbd2:ok, drbd3:ok/u],
    ['drbd3 never lists the three ok after its reboot', 'p3-reboot__drbd3.jsonl:11', OFFLINE, 70, /^step "24\. The first drbdmanage command[^]*drbd3: timed out after 300 s waiting for drbd1, drbd2, drbd3 ok; last seen: drbd1:ok, drbd2:ok, drbd3:OFFLINE/u],
    ['.drbdctrl and r0 never back on drbd3', 'p3-reboot__drbd3.jsonl:13', () => '', 70, /^step "24\. The first drbdmanage command[^]*drbd3: timed out after 300 s waiting for \.drbdctrl and r0 UpToDate on drbd3 with drbd1, drbd2; last seen: \(no resources\)/u],
    ['drbd1 never lists drbd3 ok again', 'p3-reboot__drbd1.jsonl:8', OFFLINE, 70, /^step "24\. The first drbdmanage command[^]*drbd1: timed out after 300 s waiting for drbd1, drbd2, drbd3 ok; last seen: drbd1:ok, drbd2:ok, drbd3:OFFLINE/u],
    ['.drbdctrl and r0 never back on drbd3 with the unit enabled', 'p3-reboot__drbd3.jsonl:17', () => '', 130, /^step "25\. systemctl enable[^]*drbd3: timed out after 600 s waiting for \.drbdctrl and r0 UpToDate on drbd3 with drbd1, drbd2; last seen: \(no resources\)/u],
    ['drbd1 never lists drbd3 ok after the second reboot', 'p3-reboot__drbd1.jsonl:10', OFFLINE, 70, /^step "25\. systemctl enable[^]*drbd1: timed out after 300 s waiting for drbd1, drbd2, drbd3 ok after the reboot; last seen: drbd1:ok, drbd2:ok, drbd3:OFFLINE/u],
  ])('%s', async (_t, id, answer, n, message) => {
    const r = await replayThroughDefineScenario(answeredFirst(reboot(), capture(id), { stdout: answer(), stderr: '', exitCode: 0 }, n), drbdmanageRebootPersistence);
    expect(causes(r.err).find((e) => e instanceof WaitTimeoutError), 'a wait ran out its (virtual) time').toMatchObject({ kind: 'product' });
    expect((r.err as Error).message).toMatch(message);
  });

  it('drbd3 back: .drbdctrl up without r0 yet is not back, the wait looks again', async () => {
    const r = await replayThroughDefineScenario(answeredFirst(reboot(), capture('p3-reboot__drbd3.jsonl:13'), { stdout: CTRL_ONLY(), stderr: '', exitCode: 0 }), drbdmanageRebootPersistence);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it("drbd1's list-nodes with drbd3 OFFLINE but drbd2 not ok yet: not what the wait waits for, it looks again", async () => {
    const drbd2Offline = OFFLINE().replace(/(\| \u001b\[0;36mdrbd2\u001b\[0m \|.*\| +)\u001b\[0;32mok\u001b\[0m \|/u, '$1\u001b[1;31mOFFLINE\u001b[0m |');
    expect(drbd2Offline, 'drbd2 OFFLINE in the earlier answer').not.toBe(OFFLINE());
    const r = await replayThroughDefineScenario(answeredFirst(reboot(), capture('p3-reboot__drbd1.jsonl:6'), { stdout: drbd2Offline, stderr: '', exitCode: 0 }), drbdmanageRebootPersistence);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it('no process matches after the reboot (grep finds nothing, exit 1): no server, as the step expects, not a command failure', async () => {
    const recording = mutate(reboot(), [{ what: "drbd3's ps | grep after the reboot: nothing, exit 1", match: capture('p3-reboot__drbd3.jsonl:10'), change: () => ({ stdout: '', exitCode: 1 }) }]);
    const r = await replayThroughDefineScenario(recording, drbdmanageRebootPersistence);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it("drbd3's kernel log with drbd2's handshake before drbd1's: the handshakes are compared as a set", async () => {
    const recording = mutate(reboot(), [{
      what: "drbd3's kernel log of the boot: drbd2's lines first",
      match: sourced(WHOLE_BOOT_COMMAND),
      change: (c) => {
        const lines = c.stdout.split('\n');
        const of = (peer: string) => lines.filter((l) => l.includes(` ${peer}: `));
        return { stdout: [...lines.filter((l) => !/ drbd[12]: /u.test(l)), ...of('drbd2'), ...of('drbd1')].join('\n') };
      },
    }]);
    const r = await replayThroughDefineScenario(recording, drbdmanageRebootPersistence);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });

  it("a passing run attaches drbd3's kernel-log lines of r0's device and the resync verdict, as text", async () => {
    const r = await replayThroughDefineScenario(reboot(), drbdmanageRebootPersistence);
    expect(r.err).toBeUndefined();
    const attachments = [r.result, ...walk(r.result)].flatMap((s) => (s.attachments ?? []) as { name: string; source: string; type: string }[]);
    const content = async (name: RegExp) => {
      const found = attachments.filter((a) => name.test(a.name));
      expect(found, attachments.map((a) => a.name).join(' | ')).toHaveLength(1);
      expect(found[0]!.type, `${found[0]!.name}: content type`).toBe('text/plain');
      return readFile(join(r.resultsDir, found[0]!.source), 'utf8');
    };
    const boot = reboot().commands.find(sourced(WHOLE_BOOT_COMMAND))!.stdout;
    expect(await content(/^drbd3: drbd101 in this boot's kernel log$/u)).toBe(boot.split('\n').filter((l) => l.startsWith('drbd r0/0 drbd101')).join('\n'));
    const verdict = await content(/^resync after the reboot: none, 0 KB$/u);
    expect(verdict).toMatch(/^drbd3: attached with 0 bits out of sync; handshake with drbd1: uuid_compare\(\)=no-sync by rule reconnected, bits 0\/0; handshake with drbd2: /u);
  });

  it('a process that only names the server in its arguments is no server', async () => {
    const recording = mutate(reboot(), [{
      what: "drbd3's ps after the reboot: a pager on the server's documentation",
      match: capture('p3-reboot__drbd3.jsonl:10'),
      change: (c) => ({ stdout: `${c.stdout.trimEnd()}\n    400       1 Mon Dec  7 00:04:08 2026 less /usr/share/doc/dbus-drbdmanaged-service/README\n` }),
    }]);
    const r = await replayThroughDefineScenario(recording, drbdmanageRebootPersistence);
    expect(r.err).toBeUndefined();
    expect(r.remaining).toBe(0);
  });
});

/** Every step of a result, depth first. */
function walk(step: AllureStep, out: AllureStep[] = []): AllureStep[] {
  for (const s of step.steps ?? []) {
    out.push(s);
    walk(s, out);
  }
  return out;
}
