import { describe, expect, it } from 'vitest';
import type { CommandRecord } from '../report/command-record.js';
import type { Recording } from './recording.js';
import { ReplayLab, ReplayMismatchError } from './replay-lab.js';

let seq = 0;
const rec = (node: string, command: string): CommandRecord => ({ seq: ++seq, node, command, stdout: '', stderr: '', exitCode: 0, startedAt: '2026-11-28T00:00:00Z', durationMs: 0 });

function recording(commands: CommandRecord[]): Recording {
  return {
    profile: 'debian12-drbd84', evidence: 'real', source: 'recorded on VMs: lab test, 2026-11-28', labels: {},
    nodes: [{ name: 'drbd1', replicationIp: '10.255.255.101' }, { name: 'drbd2', replicationIp: '10.255.255.102' }],
    commands,
  } as Recording;
}

describe('host-side faults in a replay', () => {
  it('are met in the order the real run recorded them', async () => {
    const lab = new ReplayLab(recording([rec('drbd1', '#link down'), rec('drbd1', '#link up'), rec('drbd2', '#power off'), rec('drbd2', '#power on')]));
    await lab.node('drbd1').replicationLink('down');
    await lab.node('drbd1').replicationLink('up');
    await lab.node('drbd2').powerOff();
    await lab.node('drbd2').powerOn();
    expect(lab.remaining).toEqual([]);
  });

  it('a fault on another node, or another fault, differs from the recording', async () => {
    const lab = new ReplayLab(recording([rec('drbd1', '#link down')]));
    await expect(lab.node('drbd2').replicationLink('down')).rejects.toBeInstanceOf(ReplayMismatchError);
    await expect(lab.node('drbd1').powerOff()).rejects.toThrow(/recording has drbd1\$ #link down\n {2}but the scenario ran drbd1\$ #power off/);
  });
});
