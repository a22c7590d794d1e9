// An attribution as it is recorded with the run (reports/versions.json, read back by a re-render
// or a merge of shards): validated like the rest of the run record.

import { z } from 'zod';
import type { Attribution } from './attribute.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

const changeSchema = z.object({
  source: z.string().min(1),
  kind: z.enum(['changed', 'added', 'removed']),
  from: z.array(z.string()),
  to: z.array(z.string()),
  binaries: z.array(z.object({ package: z.string().min(1), arch: z.string().min(1), from: z.string().optional(), to: z.string().optional() })),
});

const probeSchema = z.object({
  role: z.enum(['same', 'good', 'bisect']),
  applied: z.array(z.string()),
  outcome: z.enum(['passed', 'failed', 'broken', 'refused']),
  detail: z.string().optional(),
  setId: sha256.optional(),
  ms: z.number().nonnegative().optional(),
});

const verdictSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('flaky') }),
  z.object({ kind: z.literal('not-the-packages') }),
  z.object({ kind: z.literal('introduced'), change: changeSchema }),
  z.object({ kind: z.literal('narrowed'), candidates: z.array(changeSchema), why: z.string() }),
  z.object({ kind: z.literal('cannot-tell'), why: z.string() }),
  z.object({ kind: z.literal('budget'), candidates: z.array(changeSchema), minutes: z.number().nonnegative() }),
]);

export const attributionSchema = z.object({
  scenario: z.string().min(1),
  good: sha256,
  bad: sha256,
  changes: z.array(changeSchema),
  probes: z.array(probeSchema),
  verdict: verdictSchema,
  bound: z.int().nonnegative(),
  ms: z.number().nonnegative(),
}) satisfies z.ZodType<Attribution>;
