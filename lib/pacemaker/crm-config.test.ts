import { describe, expect, it } from 'vitest';
import { crmIds, renderCrmConfig } from './crm-config.js';

describe('renderCrmConfig', () => {
  const crm = renderCrmConfig({ resource: 'r0', device: '/dev/drbd100', mount: '/mnt/r0', fstype: 'ext4', replicas: ['drbd1', 'drbd2'], quorumOnly: ['drbd3'] });
  const lines = crm.trim().split('\n');
  const line = (start: string) => lines.filter((l) => l.startsWith(start));

  it('ids', () => expect(crmIds('r0')).toEqual({ drbd: 'p_drbd_r0', promotable: 'ms_drbd_r0', fs: 'p_fs_r0' }));

  it('no fencing device, so stonith off; a partition without quorum stops its resources', () => {
    expect(line('property ')).toEqual(['property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=stop']);
    expect(line('rsc_defaults ')).toEqual(['rsc_defaults rsc-options: resource-stickiness=100']);
  });

  it('ocf:linbit:drbd for r0 in a promotable clone as DRBD 8.4 wants it: one promoted, two instances, notify', () => {
    const [drbd] = line('primitive p_drbd_r0 ');
    expect(drbd).toMatch(/^primitive p_drbd_r0 ocf:linbit:drbd params drbd_resource=r0 op monitor interval=59s role=Master timeout=180s op monitor interval=61s role=Slave timeout=180s /u);
    // Two monitors with different intervals: Pacemaker refuses equal ones.
    expect(line('clone ')).toEqual(['clone ms_drbd_r0 p_drbd_r0 meta promotable=true promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true']);
    expect(line('ms ')).toEqual([]); // deprecated in crmsh 4.4
  });

  it('the file system on the device, with the promoted role, after promote, never on drbd3', () => {
    expect(line('primitive p_fs_r0 ')[0]).toMatch(/^primitive p_fs_r0 ocf:heartbeat:Filesystem params device=\/dev\/drbd100 directory=\/mnt\/r0 fstype=ext4 op monitor /u);
    expect(line('colocation ')).toEqual(['colocation c_p_fs_r0_on_promoted inf: p_fs_r0 ms_drbd_r0:Master']);
    expect(line('order ')).toEqual(['order o_p_fs_r0_after_promote Mandatory: ms_drbd_r0:promote p_fs_r0:start']);
    expect(line('location ')).toEqual([
      'location l_ms_drbd_r0_not_drbd3 ms_drbd_r0 resource-discovery=never -inf: drbd3',
      'location l_p_fs_r0_not_drbd3 p_fs_r0 resource-discovery=never -inf: drbd3',
    ]);
  });

  it('nothing but crmsh statements (comments stay in the source)', () => {
    for (const l of lines) expect(l).toMatch(/^(property|rsc_defaults|primitive|clone|location|colocation|order) /u);
  });
});
