// A scenario of the tests' own, run only when a test asks (DRBDLAB_TEST_SCENARIOS=1): the
// attribution canary test (tests/integration/attribution-canary.test.ts) runs the nightly on it.
// Cheap on purpose — no resource, no data disk: on each node DRBD's module is loaded afresh by
// modprobe (so modprobe.d decides, as at boot) and /proc/drbd says 8.4. A package that refuses the
// module (`install drbd /bin/false`) turns it red as DRBD's failure; so does the lab when the
// canary fault switch (tests/support/drbd-canary.ts) says so, by writing that same rule itself.
import { expect, inject } from 'vitest';
import { defineScenario } from '../../lib/scenario/define-scenario.js';
import { SETUP } from '../../lib/scenario/scenario-lab.js';
import { takeCanaryFault } from '../support/drbd-canary.js';

const env = inject('drbdlab');

defineScenario(
  'drbd-canary',
  async ({ lab, step }) => {
    const fault = env.mode === 'real' && !env.labId ? await takeCanaryFault(env.folders.state) : undefined;
    if (fault) {
      await step(`the lab broken on purpose (canary fault switch: ${fault}): a modprobe.d rule on every node refuses drbd`, async () => {
        for (const node of lab.nodes) await node.exec(`echo 'install drbd /bin/false' | sudo tee /etc/modprobe.d/drbdlab-lab-fault.conf >/dev/null`, SETUP);
      });
    }
    await step('DRBD loads on every node: modprobe drbd, /proc/drbd says 8.4', async () => {
      for (const node of lab.nodes) {
        // Unloaded first: modprobe then goes by the node's modprobe.d, not by what boot loaded.
        await node.exec('if grep -q "^drbd " /proc/modules; then sudo rmmod drbd; fi', SETUP);
        await node.exec('sudo modprobe drbd', { timeoutMs: 60_000 * lab.timeoutScale });
        expect(await node.output('cat /proc/drbd')).toMatch(/^version: 8\.4\./mu);
      }
    });
  },
  { stacks: ['drbdadm'], timeoutMs: 10 * 60_000 },
);
