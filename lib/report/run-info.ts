// The run record: what one run was (profile, package versions, a substitution of profiles,
// which shard, offline, the image, an interruption). Declared once, here, as a schema: the
// nightly hands it to the report in-process and writes it to reports/versions.json, where
// `npm run report` (a re-render) and a merge of shards read it back, validated.

import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { PROFILE_NAMES } from '../image/profile-names.js';
import { UsageError } from '../errors.js';
import { attributionSchema } from '../attribution/schema.js';

/** Package → version, as one run installed them. */
export type Versions = Record<string, string>;

const shardSchema = z
  .object({ index: z.int().positive(), count: z.int().positive() })
  .refine((s) => s.index <= s.count, 'shard index past its count');

/** Which image a run used: its identity (recipe + upstream state), when it was built, from what upstream state. */
const imageRecordSchema = z.object({
  identity: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex'),
  builtAt: z.string().optional(),
  upstreams: z.array(z.object({ name: z.string(), url: z.string(), sha256: z.string() })).optional(),
  /** The image's package set (lib/image/package-store.ts): the exact debs the run ran on. */
  packageSet: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex').optional(),
});
export type ImageRecord = z.infer<typeof imageRecordSchema>;

const cancellationSchema = z.object({ signal: z.string().min(1), at: z.iso.datetime() });

/** A report merged from the shards of one run: which, and where they did not agree (one sentence each; empty when they agree). */
const mergedShardsSchema = z.object({ shards: z.array(shardSchema).min(1), disagreements: z.array(z.string()) });
export type MergedShards = z.infer<typeof mergedShardsSchema>;

const runInfoSchema = z.object({
  profile: z.string().min(1),
  /** The suites the run added to its profile's (--suite): a line of its own (lib/image/variant.ts). */
  variant: z.string().min(1).optional(),
  versions: z.record(z.string(), z.string()),
  /** Package → the archive suite it came from (`bookworm-security`), where the image recorded it. */
  origins: z.record(z.string(), z.string()).optional(),
  /** The offline profile ran in place of the walkthrough's. */
  substituted: z.object({ wanted: z.enum(PROFILE_NAMES), reason: z.string() }).optional(),
  /** This run ran one part of the scenario files (`npm run lab -- --shard i/n`). */
  shard: shardSchema.optional(),
  /** This report is the merge of several shards' reports (`npm run report -- --merge`). */
  merged: mergedShardsSchema.optional(),
  /** The run used the cached image without asking its upstreams (--offline, DRBDLAB_OFFLINE=1). */
  offline: z.boolean().optional(),
  /** The image the run used. */
  image: imageRecordSchema.optional(),
  /** The cores of the host the run ran on: the floor its guest CPU sets (summary.md's cost). */
  hostCores: z.int().positive().optional(),
  /** The run was interrupted (Ctrl-C, SIGTERM): no verdict. */
  cancelled: cancellationSchema.optional(),
  /** Which update turned each failing scenario red (docs/attribution.md): probes and verdict. */
  attributions: z.array(attributionSchema).optional(),
});

/** The run record (reports/versions.json). */
export type RunInfo = z.infer<typeof runInfoSchema>;

/** The first problem of a zod parse as `key: problem`. */
const zodProblem = (e: z.ZodError): string => {
  const i = e.issues[0]!;
  return `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`;
};

/** versions.json of a run, validated (a merge must know the profile, versions and shard; a re-render the rest). */
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
