import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cloneRunningOn, describeCrm, parseCrmMon, promotedOn, startedOn } from './crm-mon.js';
import { isPacemakerParseError } from './parse-error.js';

// Captured by hand on lab 449598 (debian12-drbd84, Pacemaker 2.1.5, TCG on a loaded host) with
// the configuration of crm-config.ts before its TCG timeouts: drbd2 promoted and mounted (with a
// monitor that timed out under load), the file system stopping, and drbd1 after drbd2's power-off.
const fixture = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

describe('parseCrmMon (crm_mon -1 --output-as=xml)', () => {
  it('promoted on drbd2 with the file system there; a failed monitor is listed', () => {
    const s = parseCrmMon(fixture('crm-mon-promoted-drbd2-failed-monitor.xml'));
    expect(s.dc).toBe('drbd1');
    expect(s.quorate).toBe(true);
    expect(s.nodes).toEqual(['drbd1', 'drbd2', 'drbd3'].map((name) => ({ name, online: true, unclean: false })));
    expect(promotedOn(s, 'ms_drbd_r0')).toEqual(['drbd2']);
    expect(cloneRunningOn(s, 'ms_drbd_r0')).toEqual([{ node: 'drbd1', role: 'Unpromoted' }, { node: 'drbd2', role: 'Promoted' }]);
    expect(startedOn(s, 'p_fs_r0')).toEqual(['drbd2']);
    expect(s.resources.find((r) => r.id === 'p_fs_r0')?.agent).toBe('ocf:heartbeat:Filesystem');
    expect(s.failures).toEqual([{ opKey: 'p_drbd_r0_monitor_29000', node: 'drbd2', exitStatus: 'error', exitReason: 'Resource agent did not complete within 60s' }]);
  });

  it('a resource stopping is active but not started', () => {
    const s = parseCrmMon(fixture('crm-mon-fs-stopping.xml'));
    expect(s.resources.find((r) => r.id === 'p_fs_r0')).toMatchObject({ role: 'Stopping', active: true, nodes: ['drbd2'] });
    expect(startedOn(s, 'p_fs_r0')).toEqual([]);
    expect(promotedOn(s, 'ms_drbd_r0')).toEqual([]);
    expect(s.failures).toEqual([]);
  });

  it('after the power-off: drbd2 offline (not unclean: no fencing), drbd1 promoted, still quorate with two of three', () => {
    const s = parseCrmMon(fixture('crm-mon-failed-over-drbd1.xml'));
    expect(s.nodes.find((n) => n.name === 'drbd2')).toEqual({ name: 'drbd2', online: false, unclean: false });
    expect(s.quorate).toBe(true);
    expect(promotedOn(s, 'ms_drbd_r0')).toEqual(['drbd1']);
    expect(cloneRunningOn(s, 'ms_drbd_r0')).toEqual([{ node: 'drbd1', role: 'Promoted' }]);
    expect(describeCrm(s)).toMatch(/^dc drbd1, quorate; drbd1:online drbd2:offline drbd3:online; p_fs_r0 Stopped; p_drbd_r0\(ms_drbd_r0\) Promoted@drbd1; /u);
  });

  it('Master/Slave (older Pacemaker) read as Promoted/Unpromoted', () => {
    const xml = fixture('crm-mon-promoted-drbd2-failed-monitor.xml').replace('role="Promoted"', 'role="Master"').replace('role="Unpromoted"', 'role="Slave"');
    expect(cloneRunningOn(parseCrmMon(xml), 'ms_drbd_r0')).toEqual([{ node: 'drbd1', role: 'Unpromoted' }, { node: 'drbd2', role: 'Promoted' }]);
  });

  it('what it cannot read is a PacemakerParseError (harness), never a cluster state', () => {
    const bad = [
      ['crm_mon: Error: cluster is not available on this node', /not XML|no <pacemaker-result>/],
      ['<pacemaker-result><status code="102" message="Not connected"/></pacemaker-result>', /status 102: Not connected/],
      [fixture('crm-mon-fs-stopping.xml').replace(/<summary>[^]*<\/summary>/u, ''), /no <summary>/],
      [fixture('crm-mon-fs-stopping.xml').replace('resource_agent="ocf:heartbeat:Filesystem" ', ''), /resource p_fs_r0 has no resource_agent attribute/],
    ] as const;
    for (const [xml, msg] of bad) {
      let err: unknown;
      try {
        parseCrmMon(xml);
      } catch (e) {
        err = e;
      }
      expect(isPacemakerParseError(err), `${xml.slice(0, 40)}: ${String(err)}`).toBe(true);
      expect((err as Error).message).toMatch(msg);
    }
  });
});
