import type { Fault } from '../config/config.js';
import { stackOf } from '../image/profiles.js';
import { labPaths } from '../lab/paths.js';
import type { StartedLab } from '../lab/started-lab.js';
import { systemClock } from '../wait/poll.js';
import type { ScenarioLab, ScenarioNode } from './scenario-lab.js';
import { UsageError } from '../errors.js';

/** A StartedLab seen through the scenario API. */
export function realScenarioLab(lab: StartedLab, fault?: Fault): ScenarioLab {
  const mark = (node: string, command: string) => lab.transcript.record({ node, command, stdout: '', stderr: '', exitCode: 0, startedAt: new Date().toISOString(), durationMs: 0 });
  const nodes: ScenarioNode[] = lab.nodeList.map((n) => ({
    name: n.name,
    replicationIp: n.info.replicationIp,
    exec: (c, o) => n.exec(c, o),
    output: (c, o) => n.output(c, o),
    reboot: async () => {
      await mark(n.name, '#reboot');
      await n.reboot();
    },
    // Host-side faults are in the transcript as marks, so a replay meets them in order.
    replicationLink: async (state) => {
      await mark(n.name, `#link ${state}`);
      await n.replicationLink(state);
    },
    powerOff: async () => {
      await mark(n.name, '#power off');
      await n.powerOff();
    },
    powerOn: async () => {
      await mark(n.name, '#power on');
      await n.powerOn();
    },
    consoleLog: () => n.consoleLog(),
  }));
  return {
    mode: 'real',
    profile: lab.state.profile,
    stack: stackOf(lab.state.profile),
    nodes,
    node: (name) => {
      const x = nodes.find((m) => m.name === name);
      if (!x) throw new UsageError(`no node ${name} in lab ${lab.id}`);
      return x;
    },
    clock: systemClock,
    timeoutScale: lab.timeoutScale,
    ...(fault ? { fault } : {}),
    labels: {
      profile: lab.state.profile,
      evidence: 'real',
      hypervisor: lab.state.accel.toUpperCase(),
      labId: lab.id,
      labDir: labPaths(lab.host.folders.state, lab.id).dir,
      ...(lab.state.snapshot ? { cluster: `restored from snapshot ${lab.state.snapshot.point} ${lab.state.snapshot.digest.slice(0, 12)}` } : { cluster: 'fresh boot' }),
      ...Object.fromEntries(Object.entries(lab.state.image.versions).map(([k, v]) => [`pkg:${k}`, v])),
    },
  };
}
