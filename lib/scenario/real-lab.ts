import { labPaths } from '../lab/paths.js';
import type { StartedLab } from '../lab/started-lab.js';
import { systemClock } from '../wait/poll.js';
import type { ScenarioLab, ScenarioNode } from './scenario-lab.js';
import { UsageError } from '../errors.js';

/** A StartedLab seen through the scenario API. */
export function realScenarioLab(lab: StartedLab): ScenarioLab {
  const nodes: ScenarioNode[] = lab.nodeList.map((n) => ({
    name: n.name,
    replicationIp: n.info.replicationIp,
    exec: (c, o) => n.exec(c, o),
    output: (c, o) => n.output(c, o),
    reboot: async () => {
      await lab.transcript.record({ node: n.name, command: '#reboot', stdout: '', stderr: '', exitCode: 0, startedAt: new Date().toISOString(), durationMs: 0 });
      await n.reboot();
    },
    consoleLog: () => n.consoleLog(),
  }));
  return {
    mode: 'real',
    profile: lab.state.profile,
    stack: lab.state.profile === 'ubuntu1804-drbd9' ? 'drbdmanage' : 'drbdadm',
    nodes,
    node: (name) => {
      const x = nodes.find((m) => m.name === name);
      if (!x) throw new UsageError(`no node ${name} in lab ${lab.id}`);
      return x;
    },
    clock: systemClock,
    labels: {
      profile: lab.state.profile,
      evidence: 'real',
      hypervisor: lab.state.accel.toUpperCase(),
      labId: lab.id,
      labDir: labPaths(lab.id).dir,
      ...(lab.state.snapshot ? { cluster: `restored from snapshot ${lab.state.snapshot.point} ${lab.state.snapshot.digest.slice(0, 12)}` } : { cluster: 'fresh boot' }),
      ...Object.fromEntries(Object.entries(lab.state.image.versions).map(([k, v]) => [`pkg:${k}`, v])),
    },
  };
}
