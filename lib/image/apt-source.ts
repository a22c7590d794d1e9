// One apt source as a one-line sources.list entry (`deb [opts] URI SUITE [COMPONENTS…]`), and
// where its Release files are: apt's own rule, so the digest we take is of what apt reads.

import { UsageError } from '../errors.js';

export interface AptSource {
  /** `[trusted=yes]` and the like, without the brackets ('' when none). */
  options: string;
  uri: string;
  /** A suite (`bookworm`), or a path ending in `/` for a flat repository (`./`). */
  suite: string;
  components: string[];
}

const LINE = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)\s*$/;

/** Parse `deb [opts] URI SUITE [COMPONENTS…]`; `what` names the input in the error. */
export function parseSourcesLine(line: string, what = 'apt source'): AptSource {
  const m = LINE.exec(line.trim());
  const uri = m?.[2];
  if (!m || !uri || !/^(https?|file):/.test(uri)) {
    throw new UsageError(`${what}: expected a sources.list line such as "deb [trusted=yes] http://127.0.0.1:8080 ./", got ${JSON.stringify(line)}`);
  }
  const suite = m[3]!;
  const components = (m[4] ?? '').trim().split(/\s+/).filter(Boolean);
  // apt: a suite ending in "/" is a flat repository and takes no components; any other needs some.
  if (suite.endsWith('/') ? components.length > 0 : components.length === 0) {
    throw new UsageError(`${what}: ${suite.endsWith('/') ? 'a flat repository (suite ending in "/") takes no components' : `suite ${suite} needs components (e.g. main)`}: ${JSON.stringify(line)}`);
  }
  return { options: (m[1] ?? '').trim(), uri, suite, components };
}

export function sourcesLine(s: AptSource): string {
  return ['deb', ...(s.options ? [`[${s.options}]`] : []), s.uri, s.suite, ...s.components].join(' ');
}

/** InRelease first, then Release, as apt tries them. */
export function releaseUrls(s: AptSource): [inRelease: string, release: string] {
  const base = s.uri.replace(/\/+$/, '');
  const dir = s.suite.endsWith('/') ? `${base}/${s.suite.replace(/^\.\/$/, '')}` : `${base}/dists/${s.suite}/`;
  return [`${dir}InRelease`, `${dir}Release`];
}

/** The name an apt source goes by in output and in the image identity. */
export function sourceName(s: AptSource): string {
  return `${s.uri.replace(/\/+$/, '')} ${s.suite}`;
}
