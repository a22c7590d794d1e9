// The versions.json of a merged report: the shards of one run must agree on profile and package
// versions. Where they do not, nothing is picked: the merged value names every shard's, and a
// sentence per disagreement goes to the report's title, variables and summary.md.

import type { ProfileSubstitution } from '../image/substitution.js';
import type { RunInfo } from './run-info.js';
import { formatShard, type Shard } from './shard.js';
import type { Versions } from './versions.js';

export interface ShardRun {
  shard: Shard;
  run: RunInfo;
}

/** `9.21.0-1 (shard 1/2), 9.22.0-1 (shard 2/2)` */
const perShard = (values: readonly { shard: Shard; value: string }[]) => values.map((v) => `${v.value} (shard ${formatShard(v.shard)})`).join(', ');

/** One value when all agree, else every shard's (and a disagreement sentence). */
function agree(what: string, values: readonly { shard: Shard; value: string }[], disagreements: string[]): string {
  const distinct = [...new Set(values.map((v) => v.value))];
  if (distinct.length === 1) return distinct[0]!;
  disagreements.push(`${what}: ${perShard(values)}`);
  return perShard(values);
}

/** The shards' runs (in shard order) as one. */
export function mergeRunInfos(shards: readonly ShardRun[]): RunInfo {
  const sorted = [...shards].sort((a, b) => a.shard.index - b.shard.index);
  const disagreements: string[] = [];
  const profile = agree('profile', sorted.map((s) => ({ shard: s.shard, value: s.run.profile })), disagreements);
  // Shards of one variant (or all plain); shards of two lines disagree.
  const variant = agree('variant', sorted.map((s) => ({ shard: s.shard, value: s.run.variant ?? 'none' })), disagreements);

  // A shard whose lab never came up recorded no versions: it has none to disagree with (its
  // "lab setup" result says why it ran nothing).
  const withVersions = sorted.filter((s) => Object.keys(s.run.versions).length > 0);
  const names = [...new Set(withVersions.flatMap((s) => Object.keys(s.run.versions)))].sort();
  const versions: Versions = {};
  for (const name of names) {
    versions[name] = agree(name, withVersions.map((s) => ({ shard: s.shard, value: s.run.versions[name] ?? 'not installed' })), disagreements);
  }

  const substitutions = sorted.filter((s) => s.run.substituted);
  let substituted: ProfileSubstitution | undefined;
  if (substitutions.length) {
    const reasons = [...new Set(substitutions.map((s) => s.run.substituted!.reason))];
    substituted = { wanted: substitutions[0]!.run.substituted!.wanted, reason: reasons.join(' / ') };
    // Shards that ran the walkthrough's profile differ in profile already (said above).
  }

  // A shard that ran offline is said (its image was not checked against the upstreams); shards
  // that differ in that, or ran on different images, disagree.
  agree('upstreams', sorted.map((s) => ({ shard: s.shard, value: s.run.offline ? 'not asked (offline)' : 'asked' })), disagreements);
  const offline = sorted.some((s) => s.run.offline);
  const withImage = sorted.filter((s) => s.run.image);
  const identity = withImage.length ? agree('image', withImage.map((s) => ({ shard: s.shard, value: s.run.image!.identity })), disagreements) : undefined;
  const image = withImage.find((s) => s.run.image!.identity === identity)?.run.image;

  // One interrupted shard makes the whole run interrupted: no verdict for it.
  const cancelled = sorted.find((s) => s.run.cancelled)?.run.cancelled;

  return {
    profile,
    ...(variant !== 'none' ? { variant } : {}),
    versions,
    ...(substituted ? { substituted } : {}),
    ...(cancelled ? { cancelled } : {}),
    ...(offline ? { offline } : {}),
    ...(image ? { image } : {}),
    // Each shard followed up its own failing scenarios: together they are the run's.
    ...(sorted.some((s) => s.run.attributions?.length) ? { attributions: sorted.flatMap((s) => s.run.attributions ?? []) } : {}),
    merged: { shards: sorted.map((s) => s.shard), disagreements },
  };
}
