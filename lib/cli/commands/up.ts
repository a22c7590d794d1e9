import { Listr } from 'listr2';
import type { ProfileName } from '../../image/profile-names.js';
import { chooseProfile, choiceLine, profileCandidates } from '../../image/profiles.js';
import type { ProfileSettings } from '../../image/profile.js';
import { Lab } from '../../lab/lab.js';
import type { LabHost } from '../../lab/lab-host.js';
import type { StartedLab } from '../../lab/started-lab.js';
import type { LabConfig } from '../../config/lab-schema.js';
import { labPaths } from '../../lab/paths.js';
import { ensureSnapshot } from '../../snapshot/cluster-snapshot.js';

export interface UpOptions {
  /** lab.yaml as the run's configuration has it. */
  config: LabConfig;
  /** This machine with the run's folders. */
  host: LabHost;
  /** The snapshot cache's bound in bytes (DRBDLAB_SNAPSHOT_CACHE_GIB), kept after --snapshot made one. */
  snapshotCacheBytes: number;
  /** What the profiles take of the run's configuration (offline, pinned set). */
  settings: ProfileSettings;
  profile?: ProfileName;
  keep?: boolean;
  signal?: AbortSignal;
  /** Restore the cached snapshot of a ready cluster (made first if there is none). */
  snapshot?: boolean;
}

/** `up`: choose the profile, build or reuse the image, boot the nodes in parallel, with progress. */
export async function upCommand(o: UpOptions): Promise<StartedLab> {
  const config = o.config;
  const choice = await chooseProfile(o.profile, config.profile, profileCandidates(o.settings));
  process.stdout.write(`${choiceLine(choice)}\n`);
  const lab = new Lab(config, choice.profile, o.host, o.settings.accel);
  let started: StartedLab | undefined;
  const tasks = new Listr(
    [
      {
        title: `lab up (${config.nodes.map((n) => n.name).join(', ')})`,
        task: async (_ctx, task) => {
          const t0 = Date.now();
          const progress = (m: string) => {
            task.output = `[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${m}`;
          };
          // The user's once ready; until then a kill of this process gets it reaped.
          const opts = { keep: o.keep ?? true, owner: 'user' as const, signal: o.signal, progress };
          // Image and hypervisor resolved once, for the fresh up or for the snapshot it restores.
          const plan = await lab.plan({ progress, signal: o.signal });
          started = o.snapshot ? await (await ensureSnapshot(lab, plan, { progress, signal: o.signal, cacheMaxBytes: o.snapshotCacheBytes })).snapshot.restore(opts) : await lab.start(plan, opts);
          task.title = `lab ${started.id} up in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
        },
        rendererOptions: { persistentOutput: true, outputBar: Infinity },
      },
    ],
    { renderer: 'default', fallbackRenderer: 'simple', exitOnError: true, registerSignalListeners: false },
  );
  await tasks.run();
  const s = started!;
  for (const n of s.state.nodes) {
    process.stdout.write(`  ${n.name}  ${n.replicationIp}  ssh: npm run lab -- ssh ${n.name}   (127.0.0.1:${n.sshPort})\n`);
  }
  process.stdout.write(`  files: ${labPaths(o.host.folders.state, s.id).dir}\n  down:  npm run lab -- down --lab ${s.id}\n`);
  return s;
}
