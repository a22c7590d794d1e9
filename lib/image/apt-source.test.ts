import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseSourcesLine, releaseUrls, sourceName, sourcesLine } from './apt-source.js';

describe('apt sources', () => {
  it('a suite: its Release files under dists/, options and components kept', () => {
    const s = parseSourcesLine('deb [trusted=yes arch=amd64] http://deb.debian.org/debian/ bookworm main contrib');
    expect(s).toEqual({ options: 'trusted=yes arch=amd64', uri: 'http://deb.debian.org/debian/', suite: 'bookworm', components: ['main', 'contrib'] });
    expect(releaseUrls(s)).toEqual(['http://deb.debian.org/debian/dists/bookworm/InRelease', 'http://deb.debian.org/debian/dists/bookworm/Release']);
    expect(sourceName(s)).toBe('http://deb.debian.org/debian bookworm');
    expect(sourcesLine(s)).toBe('deb [trusted=yes arch=amd64] http://deb.debian.org/debian/ bookworm main contrib');
  });

  it('a flat repository ("./"): its Release files beside Packages, as apt looks for them', () => {
    const s = parseSourcesLine('deb [trusted=yes] http://127.0.0.1:8080/repo ./');
    expect(releaseUrls(s)).toEqual(['http://127.0.0.1:8080/repo/InRelease', 'http://127.0.0.1:8080/repo/Release']);
    expect(releaseUrls(parseSourcesLine('deb http://h/r sub/'))).toEqual(['http://h/r/sub/InRelease', 'http://h/r/sub/Release']);
  });

  it('bad lines are one UsageError naming the input and an example', () => {
    for (const bad of ['http://deb.debian.org/debian bookworm main', 'deb bookworm main', 'deb http://h/r bookworm', 'deb http://h/r ./ main', 'deb ftp://h/r ./']) {
      const err = (() => {
        try {
          parseSourcesLine(bad, 'DRBDLAB_EXTRA_APT_SOURCE');
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as Error).message, bad).toMatch(/^DRBDLAB_EXTRA_APT_SOURCE: /);
      expect((err as Error).message.split('\n'), bad).toHaveLength(1);
    }
  });
});
