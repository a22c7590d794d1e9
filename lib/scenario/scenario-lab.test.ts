// withNodes: the lab a watcher hands on (kernel-health.ts's nodes that watch their own reboots).
import { describe, expect, it } from 'vitest';
import { ReplayMismatchError } from './replay-lab.js';
import { SETUP, withNodes, type ScenarioNode } from './scenario-lab.js';
import { syntheticLab } from '../../tests/support/synthetic-lab.js';

describe('withNodes', () => {
  it("its nodes stand in for the lab's; an unknown name is looked up in the lab, failing as the lab fails", () => {
    const lab = syntheticLab([]);
    const standIn = { ...lab.node('drbd2') } as ScenarioNode;
    const w = withNodes(lab, [standIn]);
    expect(w.nodes).toEqual([standIn]);
    expect(w.node('drbd2')).toBe(standIn);
    expect(w.node('drbd1')).toBe(lab.node('drbd1'));
    expect(() => w.node('drbd9')).toThrow(ReplayMismatchError);
  });

  it("everything else is the lab's, read when asked", () => {
    const lab = syntheticLab([]);
    const inner = { ...lab, mode: 'real', profile: 'ubuntu1804-drbd9', stack: 'drbdmanage', clock: lab.clock, timeoutScale: 3, fault: 'wrong-peer-ip', labels: { a: '1' }, node: lab.node.bind(lab) } as const;
    const w = withNodes(inner, []);
    expect([w.mode, w.profile, w.stack, w.clock, w.timeoutScale, w.fault, w.labels]).toEqual(['real', 'ubuntu1804-drbd9', 'drbdmanage', lab.clock, 3, 'wrong-peer-ip', { a: '1' }]);
    // A getter, not a copy: the lab's labels as they are when read.
    const live = { ...inner, labels: { a: '1' } as Record<string, string> };
    const w2 = withNodes(live, []);
    live.labels = { b: '2' };
    expect(w2.labels).toEqual({ b: '2' });
  });

  it('SETUP: a setup command that fails is an infrastructure failure', () => {
    expect(SETUP).toEqual({ kind: 'infrastructure' });
  });
});
