import { describe, expect, it } from 'vitest';
import { cleanLines, splitToken, toInt, toNumber } from './text.js';

describe('cleanLines', () => {
  it('removes ANSI codes, CRs and trailing blanks, numbering from 1', () => {
    expect(cleanLines('\u001b[0;32mok\u001b[0m  \r\n  x\n')).toEqual([
      { number: 1, text: 'ok' },
      { number: 2, text: '  x' },
      { number: 3, text: '' },
    ]);
  });
});

describe('splitToken', () => {
  it('splits at the first colon only', () => {
    expect(splitToken('local:ipv4:10.255.255.101:7000')).toEqual(['local', 'ipv4:10.255.255.101:7000']);
    expect(splitToken('disk:')).toEqual(['disk', '']);
    expect(splitToken('drbd2')).toBeNull();
    expect(splitToken(':x')).toBeNull();
  });
});

describe('toInt / toNumber', () => {
  it('accepts plain decimals only', () => {
    expect(toInt('7000')).toBe(7000);
    expect(toInt('-1')).toBe(-1);
    expect(toInt('*')).toBeNull();
    expect(toInt('1.5')).toBeNull();
    expect(toInt(undefined)).toBeNull();
    expect(toNumber('3.60')).toBe(3.6);
    expect(toNumber('nan')).toBeNull();
    expect(toNumber('100')).toBe(100);
    expect(toNumber('-0.5')).toBe(-0.5);
    // The whole token or nothing: `done:3.60%`, `x3.6` and `3.6.1` are not numbers.
    expect(toNumber('3.60%')).toBeNull();
    expect(toNumber('x3.6')).toBeNull();
    expect(toNumber('3.6.1')).toBeNull();
  });
});
