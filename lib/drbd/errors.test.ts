import { describe, expect, it } from 'vitest';
import { DrbdParseError, isDrbdParseError } from './errors.js';

describe('DrbdParseError', () => {
  it('names the parser, the reason and the line in its message', () => {
    const error = new DrbdParseError('proc-drbd', 'unrecognised line', 'garbage "here"', 3);
    expect(error.message).toBe('proc-drbd: unrecognised line at line 3: "garbage \\"here\\""');
    expect(error).toMatchObject({ name: 'DrbdParseError', parser: 'proc-drbd', reason: 'unrecognised line', line: 'garbage "here"', lineNumber: 3 });
    expect(error).toBeInstanceOf(Error);
  });

  it('reads without a line or line number', () => {
    expect(new DrbdParseError('drbd-version', 'empty input').message).toBe('drbd-version: empty input');
    expect(new DrbdParseError('x', 'bad', 'a | b').message).toBe('x: bad at line: "a | b"');
  });

  it('is recognised by isDrbdParseError only', () => {
    expect(isDrbdParseError(new DrbdParseError('x', 'y'))).toBe(true);
    expect(isDrbdParseError(new Error('x'))).toBe(false);
    expect(isDrbdParseError('DrbdParseError')).toBe(false);
    // By its fields, not its class: an Error only named so, or a plain object shaped like one, is not one.
    expect(isDrbdParseError(Object.assign(new Error('x'), { name: 'DrbdParseError' }))).toBe(false);
    expect(isDrbdParseError({ name: 'DrbdParseError', parser: 'x', message: 'y' })).toBe(false);
    expect(isDrbdParseError(Object.assign(new Error('x'), { name: 'DrbdParseError', parser: 'x' }))).toBe(true);
    expect(isDrbdParseError(Object.assign(new Error('x'), { parser: 'x' }))).toBe(false);
  });
});
