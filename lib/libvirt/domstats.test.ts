import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseCpuTotal } from './domstats.js';

describe('virsh domstats', () => {
  it('guest CPU seconds from cpu.time (ns); no counter is a parse error, not zero', () => {
    expect(parseCpuTotal("Domain: 'drbdlab-x-drbd1'\n  cpu.time=48123456789\n  cpu.user=1\n")).toBeCloseTo(48.123, 3);
    expect(() => parseCpuTotal("Domain: 'x'\n")).toThrow(ParseError);
    expect(() => parseCpuTotal("Domain: 'x'\n  cpu.user=1\n")).toThrow(/no cpu\.time/);
  });
});
