import { describe, expect, it } from 'vitest';

// The guard in tests/support/strict-throw.ts (a setup file of every project) is what these
// exercise: without it, the first four assertions inside pass.
const rejection = (v: unknown) => Promise.reject(v as Error);

describe('toThrow(pattern) demands a thrown value that can carry a message', () => {
  it('a function that throws undefined fails a pattern', () => {
    const caught = (() => { try { expect(() => { throw undefined; }).toThrow(/boom/); } catch (e) { return e; } })();
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).name).toBe('AssertionError');
    expect((caught as Error).message).toContain('threw undefined, not an error');
  });

  it('a function that throws null fails a string', () => {
    expect(() => expect(() => { throw null; }).toThrowError('boom')).toThrow(/threw null, not an error/);
  });

  it('a promise that rejects with undefined fails a pattern', async () => {
    const caught = await expect(rejection(undefined)).rejects.toThrow(/boom/).then(() => 'passed', (e: Error) => e);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toContain('threw undefined, not an error');
  });

  it('chai\'s own throws is guarded too', () => {
    expect(() => expect(() => { throw undefined; }).throws(/boom/)).toThrow(/threw undefined, not an error/);
  });

  it('leaves everything else as it was', async () => {
    let calls = 0;
    expect(() => { calls++; throw new Error('boom here'); }).toThrow(/boom/);
    expect(calls, 'the function under test runs once').toBe(1);
    expect(() => { throw new Error('other'); }).not.toThrow(/boom/);
    expect(() => undefined).not.toThrow(/boom/);
    expect(() => { throw undefined; }).toThrow();
    await expect(rejection(new Error('boom'))).rejects.toThrow(/boom/);
    expect(() => expect(() => { throw new Error('other'); }).toThrow(/boom/)).toThrow(/boom/);
  });
});
