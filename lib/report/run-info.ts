// reports/versions.json: what one run was (profile, package versions, a substitution of
// profiles, which shard) — written by the nightly, read by the report and by a merge of shards.

import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { ProfileSubstitution } from '../image/substitution.js';
import type { Shard } from './shard.js';
import type { Cancellation } from './classify.js';

/** A report merged from the shards of one run: which, and where they did not agree. */
export interface MergedShards {
  shards: Shard[];
  /** One sentence per thing the shards disagree on (profile, a package's version); empty when they agree. */
  disagreements: string[];
}

/** Package → version, as one run installed them. */
export type Versions = Record<string, string>;

export interface RunInfo {
  profile: string;
  versions: Versions;
  /** Package → the archive suite it came from (`bookworm-security`), where the image recorded it. */
  origins?: Record<string, string>;
  substituted?: ProfileSubstitution;
  /** This run ran one part of the scenario files (`npm run lab -- --shard i/n`). */
  shard?: Shard;
  /** This report is the merge of several shards' reports (`npm run report -- --merge`). */
  merged?: MergedShards;
  /** The run used the cached image without asking its upstreams (--offline, DRBDLAB_OFFLINE=1). */
  offline?: boolean;
  /** The image the run used. */
  image?: ImageRecord;
  /** The run was interrupted (Ctrl-C, SIGTERM): no verdict. */
  cancelled?: Cancellation;
}

export const shardSchema = z
  .object({ index: z.int().positive(), count: z.int().positive() })
  .refine((s) => s.index <= s.count, 'shard index past its count');

/** Which image a run used: its identity (recipe + upstream state), when it was built, from what upstream state. */
export const imageRecordSchema = z.object({
  identity: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex'),
  builtAt: z.string().optional(),
  upstreams: z.array(z.object({ name: z.string(), url: z.string(), sha256: z.string() })).optional(),
  /** The image's package set (lib/image/package-store.ts): the exact debs the run ran on. */
  packageSet: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex').optional(),
});
export type ImageRecord = z.infer<typeof imageRecordSchema>;

export const cancellationSchema = z.object({ signal: z.string().min(1), at: z.iso.datetime() });

export const mergedShardsSchema = z.object({ shards: z.array(shardSchema).min(1), disagreements: z.array(z.string()) });

const runInfoSchema = z.object({
  profile: z.string().min(1),
  versions: z.record(z.string(), z.string()),
  origins: z.record(z.string(), z.string()).optional(),
  substituted: z.object({ wanted: z.literal('ubuntu1804-drbd9'), reason: z.string() }).optional(),
  shard: shardSchema.optional(),
  merged: mergedShardsSchema.optional(),
  offline: z.boolean().optional(),
  image: imageRecordSchema.optional(),
  cancelled: cancellationSchema.optional(),
});

/** The first problem of a zod parse as `key: problem`. */
export const zodProblem = (e: z.ZodError): string => {
  const i = e.issues[0]!;
  return `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`;
};

/** versions.json of a nightly run (strict: a merge must know the profile, versions and shard). */
export async function readRunInfo(file: string): Promise<RunInfo> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`${file}: missing: not the report folder of a \`npm run lab\` run (the nightly writes versions.json)`);
    }
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
  const r = runInfoSchema.safeParse(value);
  if (!r.success) throw new UsageError(`${file}: ${zodProblem(r.error)}`);
  return r.data;
}

export async function writeRunInfo(file: string, run: RunInfo): Promise<void> {
  await writeFile(file, `${JSON.stringify(run, null, 2)}\n`);
}
