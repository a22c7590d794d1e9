import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { isOffline } from './offline.js';

describe('isOffline', () => {
  it('1 is offline; unset, empty and 0 are not', () => {
    expect(isOffline({ DRBDLAB_OFFLINE: '1' })).toBe(true);
    for (const v of [undefined, '', '0']) expect(isOffline({ DRBDLAB_OFFLINE: v })).toBe(false);
  });
  it('anything else is bad input, said in one line', () => {
    expect(() => isOffline({ DRBDLAB_OFFLINE: 'yes' })).toThrow(UsageError);
    expect(() => isOffline({ DRBDLAB_OFFLINE: 'yes' })).toThrow('DRBDLAB_OFFLINE=yes: set it to 1 (use the cached image, ask no upstream) or leave it unset');
  });
});
