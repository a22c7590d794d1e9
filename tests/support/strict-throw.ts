import { chai } from 'vitest';

/**
 * `toThrow(/pattern/)` and `toThrow('text')` go to chai's `throws`, which matches the pattern
 * only against a truthy thrown value: a function that throws `undefined` (an error helper a
 * mutant emptied) passed any pattern. Here a pattern also demands something was thrown that
 * can carry a message; everything else is left to chai and vitest.
 */
chai.use((c, utils) => {
  for (const name of ['throw', 'throws', 'Throw']) {
    utils.overwriteMethod(c.Assertion.prototype, name, (original: (...a: unknown[]) => unknown) =>
      function (this: object, ...args: unknown[]) {
        const pattern = [args[0], args[1]].find((a) => typeof a === 'string' || a instanceof RegExp);
        if (pattern === undefined || utils.flag(this, 'negate')) return original.apply(this, args);
        const object: unknown = utils.flag(this, 'object');
        // Short (chai's failure line cuts what was thrown at 40 characters) and not echoing the
        // pattern (chai matches the pattern against what the wrapper throws).
        const nothing = (v: unknown) => `threw ${String(v)}, not an error`;
        if (utils.flag(this, 'promise') === 'rejects') {
          if (!object) throw new c.AssertionError(nothing(object), { showDiff: false });
        } else if (typeof object === 'function') {
          utils.flag(this, 'object', (...a: unknown[]) => {
            try {
              return (object as (...a: unknown[]) => unknown)(...a);
            } catch (e) {
              if (!e) throw new c.AssertionError(nothing(e), { showDiff: false });
              throw e;
            }
          });
        }
        return original.apply(this, args);
      });
  }
});
