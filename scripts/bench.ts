// `npm run bench [-- --skip-cold]`: phase timings of the lab as JSON (a script, not a test).
// Baseline (lab-notes.md, hand-run on this kind of machine): three TCG guests ready ≈ 150 s.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabConfig } from '../lib/config/load-lab.js';
import { DEFAULT_CONFIG } from '../lib/cli/context.js';
import { Debian12Profile } from '../lib/image/debian12-profile.js';
import { Lab } from '../lib/lab/lab.js';

const seconds = (t: number) => Math.round((Date.now() - t) / 100) / 10;
const skipCold = process.argv.includes('--skip-cold');
const log = (m: string) => process.stderr.write(`${m}\n`);
const result: Record<string, unknown> = { host: { cpus: (await import('node:os')).cpus().length } };

const profile = new Debian12Profile();

if (!skipCold) {
  const cold = await mkdtemp(join(tmpdir(), 'drbdlab-bench-cache-'));
  const saved = process.env.DRBDLAB_CACHE;
  process.env.DRBDLAB_CACHE = cold;
  let t = Date.now();
  await profile.ensureImage(log);
  result.imageBuildCold = seconds(t);
  t = Date.now();
  await profile.ensureImage(log);
  result.imageBuildWarmSameCache = seconds(t);
  if (saved === undefined) delete process.env.DRBDLAB_CACHE;
  else process.env.DRBDLAB_CACHE = saved;
  await rm(cold, { recursive: true, force: true });
}
let t = Date.now();
await profile.ensureImage(log);
result.imageBuildWarm = seconds(t);

const config = await loadLabConfig(DEFAULT_CONFIG);
t = Date.now();
const lab = await new Lab(config, profile).start({ progress: log });
result.upTotal = seconds(t);
result.hypervisor = { accel: lab.state.accel, reason: lab.state.accelReason };
result.clone = lab.timings.clone;
result.bootToReady = Object.fromEntries(Object.entries(lab.timings).filter(([k]) => k.startsWith('ready.')).map(([k, v]) => [k.slice(6), v]));
result.allReady = Math.max(...Object.values(result.bootToReady as Record<string, number>));
t = Date.now();
await lab.down();
result.down = seconds(t);
result.baseline = { allReadyHandRun: 150, goal: 75 };
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
