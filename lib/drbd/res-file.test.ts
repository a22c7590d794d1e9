import { describe, expect, it } from 'vitest';
import { renderResFile } from './res-file.js';

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

  it('balances its braces', () => {
    const t = renderResFile({ ...spec, resyncRate: '100M' });
    expect(t.split('{').length).toBe(t.split('}').length);
  });

  it('refuses a single host', () => {
    expect(() => renderResFile({ ...spec, hosts: spec.hosts.slice(0, 1) })).toThrow(/needs two hosts/);
  });
});
