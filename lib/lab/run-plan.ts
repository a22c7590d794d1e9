// A run's plan: the profile, its image, the hypervisor and (for scenarios) the cluster snapshot,
// resolved once by whoever starts the run (the nightly, `npm test`'s scenarios setup) and handed
// to every scenario process as one value. A process given a plan reads it and never asks the
// upstreams or probes the hypervisor again, so one run cannot end up on two images (an archive
// that moves mid-run) or two hypervisors.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { BaseImage } from '../image/profile.js';
import { PROFILE_NAMES, type ProfileName } from '../image/profile-names.js';
import type { AccelChoice } from '../libvirt/accel.js';

/** What a fresh start needs resolved: which image, on which hypervisor. */
export interface LabPlan {
  profile: ProfileName;
  image: BaseImage;
  accel: AccelChoice;
}

/** Which snapshot a plan's scenarios restore (its folder, and the identity it must still have). */
export interface PlannedSnapshot {
  dir: string;
  digest: string;
  point: string;
}

/** A LabPlan with the snapshot every scenario of the run restores. */
export interface RunPlan extends LabPlan {
  snapshot: PlannedSnapshot;
}

/** Bump when a plan's shape changes: a process never reads a plan of another shape. */
const RUN_PLAN_FORMAT = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 digest (64 hex digits)');
const absolute = z.string().regex(/^\//, 'expected an absolute path');
const kvmCpu = z.union([z.literal('host-passthrough'), z.strictObject({ model: z.string().min(1) })]);

const imageSchema = z
  .object({
    profile: z.enum(PROFILE_NAMES),
    disk: absolute,
    dataDisk: absolute.optional(),
    digest: sha256,
    dir: absolute,
    boot: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('direct'), kernel: absolute, initrd: absolute, cmdline: z.string() }),
      z.strictObject({ kind: z.literal('disk') }),
    ]),
    versions: z.record(z.string(), z.string()),
    origins: z.record(z.string(), z.string()).optional(),
    built: z.boolean(),
    offline: z.boolean().optional(),
    upstreams: z.array(z.strictObject({ name: z.string(), url: z.string(), sha256 })).optional(),
    builtAt: z.string().optional(),
  })
  // A field the image record gains later travels with the plan rather than being dropped.
  .loose();

const accelSchema = z.strictObject({
  accel: z.enum(['kvm', 'tcg']),
  cpu: kvmCpu.optional(),
  reason: z.string(),
  mode: z.enum(['forced', 'auto']),
  hostVerdict: z.boolean().optional(),
});

const runPlanSchema = z
  .strictObject({
    format: z.literal(RUN_PLAN_FORMAT),
    profile: z.enum(PROFILE_NAMES),
    image: imageSchema,
    accel: accelSchema,
    snapshot: z.strictObject({ dir: absolute, digest: sha256, point: z.string().min(1) }),
  })
  .refine((p) => p.image.profile === p.profile, { message: 'the image is of another profile than the plan', path: ['image', 'profile'] });

/** A plan as it travels between processes: its format said, to be validated where it is used. */
export type WireRunPlan = { readonly format: typeof RUN_PLAN_FORMAT } & Record<string, unknown>;

/** The plan as it travels between processes (a file, vitest's provide): what parseRunPlan reads. */
export function wireRunPlan(plan: RunPlan): WireRunPlan {
  const { profile, image, accel, snapshot } = plan;
  return { format: RUN_PLAN_FORMAT, profile, image, accel, snapshot };
}

/** The plan as one JSON text (what the nightly hands its scenario processes). */
export function serializeRunPlan(plan: RunPlan): string {
  return JSON.stringify(wireRunPlan(plan), null, 2);
}

/**
 * A plan read back (parsed JSON, or a value vitest handed over): validated, or one ConfigError
 * naming where it came from, the first field that is wrong and why.
 */
export function parseRunPlan(value: unknown, source: string): RunPlan {
  const r = runPlanSchema.safeParse(value);
  if (r.success) {
    const { format: _format, ...plan } = r.data;
    return plan as RunPlan;
  }
  const issue = r.error.issues[0]!;
  throw new ConfigError(source, issue.path.join('.'), `${issue.message}; the plan is made by the run that starts the scenarios (\`npm run lab -- nightly\`, \`npm test\`): start them through it`);
}

/** A plan file (DRBDLAB_PLAN) read and validated. */
export async function readRunPlan(file: string): Promise<RunPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read the run plan (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, '', `the run plan is not JSON (${(err as Error).message})`);
  }
  return parseRunPlan(json, file);
}
