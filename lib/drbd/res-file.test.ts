import { describe, expect, it } from 'vitest';
import { AL_EXTENTS_MAX, AL_EXTENTS_MIN, renderResFile } from './res-file.js';

const spec = {
  name: 'r0',
  minor: 100,
  port: 7000,
  disk: '/dev/drbdpool/r0',
  hosts: [
    { name: 'drbd1', ip: '10.255.255.101' },
    { name: 'drbd2', ip: '10.255.255.102' },
  ],
};

describe('renderResFile', () => {
  it('writes one on-section per host with its replication address and the port', () => {
    const text = renderResFile(spec);
    expect(text).toContain('resource r0 {');
    expect(text).toContain('device /dev/drbd100 minor 100;');
    expect(text).toContain('disk /dev/drbdpool/r0;');
    expect(text).toMatch(/on drbd1 \{\n\s+address 10\.255\.255\.101:7000;\n\s+\}/);
    expect(text).toMatch(/on drbd2 \{\n\s+address 10\.255\.255\.102:7000;\n\s+\}/);
    expect(text).not.toContain('resync-rate');
  });

  it('adds a fixed resync rate only when asked', () => {
    expect(renderResFile({ ...spec, resyncRate: '100M' })).toMatch(/disk \{\n\s+c-plan-ahead 0;\n\s+resync-rate 100M;\n\s+\}/);
  });

  it('sets the activity log size only when asked, in the disk section', () => {
    expect(renderResFile(spec)).not.toContain('al-extents');
    expect(renderResFile({ ...spec, alExtents: 67 })).toMatch(/meta-disk internal;\n  disk \{\n    al-extents 67;\n  \}\n  on drbd1/);
    expect(renderResFile({ ...spec, resyncRate: '100M', alExtents: 67 })).toMatch(/disk \{\n    c-plan-ahead 0;\n    resync-rate 100M;\n    al-extents 67;\n  \}/);
  });

  it('refuses an activity log DRBD 8.4 would not take as written (it raises less than 67 silently)', () => {
    for (const n of [AL_EXTENTS_MIN - 1, 7, 0, AL_EXTENTS_MAX + 1, 67.5]) {
      expect(() => renderResFile({ ...spec, alExtents: n }), String(n)).toThrow(/al-extents .* outside DRBD 8\.4's 67\.\.65534/);
    }
    expect(renderResFile({ ...spec, alExtents: AL_EXTENTS_MAX })).toContain('al-extents 65534;');
  });

  it('balances its braces', () => {
    for (const t of [renderResFile(spec), renderResFile({ ...spec, resyncRate: '100M' }), renderResFile({ ...spec, resyncRate: '100M', alExtents: 67 })]) {
      expect(t.split('{').length).toBe(t.split('}').length);
    }
  });

  it('refuses a single host', () => {
    expect(() => renderResFile({ ...spec, hosts: spec.hosts.slice(0, 1) })).toThrow(/needs two hosts/);
  });
});
