// `npx tsx scripts/accel-verdicts.ts [N]`: probe the hypervisor N times afresh (default 10) and
// print each verdict and whether they all agree — the check that the verdict is not flaky.
import { ACCEL_VERDICTS_USAGE, argsOrExit, parseAccelVerdictsArgs } from '../lib/bench/script-args.js';
import { loadConfig, profileSettings } from '../lib/config/config.js';
import { Debian12Profile } from '../lib/image/debian12-profile.js';
import { chooseAccel } from '../lib/libvirt/accel.js';
import { Virsh } from '../lib/libvirt/virsh.js';

const n = argsOrExit(() => parseAccelVerdictsArgs(process.argv.slice(2)), ACCEL_VERDICTS_USAGE).probes;
// lab.yaml and DRBDLAB_* (DRBDLAB_ACCEL: a forced choice is what the probes then agree on).
const run = await loadConfig();
const config = run.lab;
const image = await Debian12Profile.create(profileSettings(run)).ensureImage((m) => process.stderr.write(`${m}\n`));
const virsh = new Virsh(config.libvirtUri);
const verdicts: { accel: string; cpu?: unknown; seconds: number; reason: string }[] = [];
for (let i = 0; i < n; i++) {
  const t = Date.now();
  const c = await chooseAccel({ virsh, cacheDir: run.paths.cache, boot: image.boot, disk: image.disk, reprobe: true, setting: run.accel });
  verdicts.push({ accel: c.accel, cpu: c.cpu, seconds: (Date.now() - t) / 1000, reason: c.reason });
  process.stderr.write(`${i + 1}/${n}: ${c.accel} in ${verdicts.at(-1)!.seconds} s\n`);
}
const distinct = new Set(verdicts.map((v) => `${v.accel} ${JSON.stringify(v.cpu ?? null)}`));
process.stdout.write(`${JSON.stringify({ runs: n, agree: distinct.size === 1, verdicts }, null, 2)}\n`);
process.exitCode = distinct.size === 1 ? 0 : 1;
