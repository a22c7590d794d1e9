import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../lib/config/config.js';
import { cli } from './cli.js';
import { snapshot, type HostSnapshot } from './leftovers.js';

/**
 * Labs of a lifecycle test file live in a folder of their own, its reports too (the repo's
 * stay untouched). The image is built (or found) once, outside any fault.
 */
export class LifecycleEnv {
  private constructor(
    readonly uri: string,
    readonly stateDir: string,
    readonly reportsDir: string,
    /** An empty image cache: a build started there is a cold one. */
    readonly coldCache: string,
    /** The image cache the CLI runs here use (the configuration's: this process's environment is theirs). */
    readonly cache: string,
  ) {}

  static async create(): Promise<LifecycleEnv> {
    // As the CLI runs below read it (they inherit this process's environment).
    const run = await loadConfig();
    const uri = run.lab.libvirtUri;
    // o+x: libvirt's QEMU user must reach the disks in there (mkdtemp makes 0700 folders).
    const mk = async (what: string) => {
      const dir = await mkdtemp(join(tmpdir(), `drbdlab-lifecycle-${what}-`));
      await chmod(dir, 0o711);
      return dir;
    };
    const e = new LifecycleEnv(uri, await mk('state'), await mk('reports'), await mk('cache'), run.paths.cache);
    const img = await cli(['image', 'build'], e.env, 20 * 60_000);
    if (img.exitCode !== 0) throw new Error(`image build failed:\n${img.output}`);
    return e;
  }

  get env(): Record<string, string> {
    return { DRBDLAB_STATE: this.stateDir, DRBDLAB_REPORTS: this.reportsDir };
  }

  /** What the host holds of drbdlab now (compare before and after a fault). */
  look(): Promise<HostSnapshot> {
    return snapshot({ uri: this.uri, stateDir: this.stateDir, cacheDirs: [this.cache, this.coldCache] });
  }

  async dispose(): Promise<void> {
    for (const d of [this.stateDir, this.reportsDir, this.coldCache]) await rm(d, { recursive: true, force: true });
  }
}

/** A test file's hooks: one LifecycleEnv, and the host as it was before any fault. */
export function useLifecycleEnv(): { lc: LifecycleEnv; before: HostSnapshot } {
  const ctx = {} as { lc: LifecycleEnv; before: HostSnapshot };
  beforeAll(async () => {
    ctx.lc = await LifecycleEnv.create();
    ctx.before = await ctx.lc.look();
  });
  afterAll(async () => {
    await ctx.lc?.dispose();
  });
  return ctx;
}
