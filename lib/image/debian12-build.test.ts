import { describe, expect, it } from 'vitest';
import { mmdebstrapArgs } from './debian12-build.js';
import { debian12Recipe, preferencesHook, BACKPORTS_PREFERENCES } from './debian12-recipe.js';

const M = 'http://mirror.example/debian';
const S = 'http://mirror.example/debian-security';
/** What follows the release and the tree: the mirror, then every sources.list line. */
const sources = (args: string[]) => args.slice(args.indexOf('/r') + 1);

describe('mmdebstrapArgs', () => {
  it('the plain recipe: bookworm from the mirror, then bookworm-updates and bookworm-security; no setup hook', () => {
    const args = mmdebstrapArgs(debian12Recipe(M, S), '/r', '/d');
    expect(args.slice(args.indexOf('bookworm'), args.indexOf('/r') + 1)).toEqual(['bookworm', '/r']);
    expect(sources(args)).toEqual([M, `deb ${M} bookworm-updates main`, `deb ${S} bookworm-security main`]);
    expect(args.filter((a) => a.startsWith('--setup-hook='))).toEqual([]);
  });

  it('a proposed-updates variant: its suite after the three, before a test\'s extra source', () => {
    const extra = { sources: ['deb [trusted=yes] http://127.0.0.1:8080 ./'], packages: ['canary'] };
    const args = mmdebstrapArgs(debian12Recipe(M, S, extra, ['proposed-updates']), '/r', '/d');
    expect(sources(args)).toEqual([M, `deb ${M} bookworm-updates main`, `deb ${S} bookworm-security main`, `deb ${M} bookworm-proposed-updates main`, extra.sources[0]]);
    expect(args.filter((a) => a.startsWith('--setup-hook='))).toEqual([]);
  });

  it('a backports variant: the preferences go in by a setup hook (before apt reads the archive), bookworm-backports last', () => {
    const args = mmdebstrapArgs(debian12Recipe(M, S, undefined, ['backports']), '/r', '/d');
    expect(args.filter((a) => a.startsWith('--setup-hook='))).toEqual([`--setup-hook=${preferencesHook(BACKPORTS_PREFERENCES)}`]);
    expect(args.indexOf(`--setup-hook=${preferencesHook(BACKPORTS_PREFERENCES)}`)).toBeLessThan(args.indexOf('bookworm'));
    expect(sources(args).at(-1)).toBe(`deb ${M} bookworm-backports main`);
  });
});
