import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failureKind, UpstreamUnavailableError } from '../errors.js';
import { imageDir } from './cache.js';
import { silent } from './progress.js';
import { ChecksumMismatchError } from './sha256sums.js';
import {
  classifyProvisioningLog,
  downloadTo,
  fetchText,
  ProvisioningError,
  provisioningFailure,
  provisioningQemuArgs,
  recordedVersions,
  type FetchLike,
} from './ubuntu1804-build.js';
import { profileByName } from './profiles.js';
import { Ubuntu1804Profile, UBUNTU_UPSTREAMS } from './ubuntu1804-profile.js';
import { ubuntu1804Recipe, ubuntuRecipeDigest, ubuntuUpstreamChecks } from './ubuntu1804-recipe.js';
import { imageIdentity, readUpstreamState } from './upstream-state.js';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('classifyProvisioningLog', () => {
  it('"Unable to locate package python-drbdmanage" (console prefixes and all): the PPA dropped it', async () => {
    const v = classifyProvisioningLog(await fixture('provisioning-ppa-no-drbdmanage.log'));
    expect(v).toEqual({
      outcome: 'upstream',
      resource: 'ppa:linbit/linbit-drbd9-stack',
      detail: 'the PPA no longer publishes python-drbdmanage for bionic',
      evidence: 'E: Unable to locate package python-drbdmanage',
    });
    const err = provisioningFailure(v, '/cache/console.log')!;
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect(err.message).toMatch(/^upstream unavailable: ppa:linbit\/linbit-drbd9-stack: the PPA no longer publishes python-drbdmanage for bionic \(E: Unable to locate package python-drbdmanage; console log: \/cache\/console\.log\)$/);
    expect(failureKind(err)).toBe('infrastructure');
  });

  it('a package of the archive that cannot be located is the archive\'s, not the PPA\'s', () => {
    const v = classifyProvisioningLog('E: Unable to locate package lvm2\n');
    expect(v).toMatchObject({ outcome: 'upstream', resource: 'archive.ubuntu.com', detail: 'the Ubuntu archive no longer publishes lvm2 for bionic' });
    expect(classifyProvisioningLog(`E: Package 'drbd-dkms' has no installation candidate`)).toMatchObject({
      resource: 'ppa:linbit/linbit-drbd9-stack',
      detail: 'the PPA no longer publishes drbd-dkms for bionic',
    });
  });

  it('a 404 for a deb of the PPA', async () => {
    expect(classifyProvisioningLog(await fixture('provisioning-ppa-404.log'))).toEqual({
      outcome: 'upstream',
      resource: 'ppa:linbit/linbit-drbd9-stack',
      detail: 'the PPA no longer publishes drbd-dkms_9.0.32-1ppa1~bionic1_all.deb (404 Not Found)',
      evidence:
        'E: Failed to fetch http://ppa.launchpad.net/linbit/linbit-drbd9-stack/ubuntu/pool/main/d/drbd-dkms/drbd-dkms_9.0.32-1ppa1~bionic1_all.deb  404  Not Found [IP: 185.125.190.80 80]',
    });
  });

  it('a 404 from the archive (the two-line Err: form alone) names the archive host', () => {
    const log = 'Err:12 http://archive.ubuntu.com/ubuntu bionic-updates/main amd64 libc6 amd64 2.27-3ubuntu1.6\n  404  Not Found [IP: 91.189.91.39 80]\n';
    expect(classifyProvisioningLog(log)).toMatchObject({ outcome: 'upstream', resource: 'archive.ubuntu.com' });
  });

  it('"does not have a Release file": the PPA no longer publishes bionic', async () => {
    expect(classifyProvisioningLog(await fixture('provisioning-ppa-no-release.log'))).toEqual({
      outcome: 'upstream',
      resource: 'ppa:linbit/linbit-drbd9-stack',
      detail: 'the PPA no longer publishes a bionic release (http://ppa.launchpad.net/linbit/linbit-drbd9-stack/ubuntu)',
      evidence: "E: The repository 'http://ppa.launchpad.net/linbit/linbit-drbd9-stack/ubuntu bionic Release' does not have a Release file.",
    });
    const archive = "E: The repository 'http://archive.ubuntu.com/ubuntu bionic-updates Release' does not have a Release file.";
    expect(classifyProvisioningLog(archive)).toMatchObject({ resource: 'archive.ubuntu.com', detail: 'http://archive.ubuntu.com/ubuntu no longer publishes bionic-updates' });
  });

  it('no network from the guest: names the host it could not reach', () => {
    const v = classifyProvisioningLog("Err:1 http://archive.ubuntu.com/ubuntu bionic InRelease\n  Temporary failure resolving 'archive.ubuntu.com'\n");
    expect(v).toMatchObject({ outcome: 'upstream', resource: 'archive.ubuntu.com', detail: 'the provisioning VM needs network access to archive.ubuntu.com' });
    expect(classifyProvisioningLog('gpg: keyserver receive failed: No name')).toMatchObject({ resource: 'keyserver.ubuntu.com' });
    expect(classifyProvisioningLog("Cannot add PPA: 'ppa:~linbit/ubuntu/linbit-drbd9-stack'.\nThe team named '~linbit' has no PPA named 'ubuntu/linbit-drbd9-stack'")).toMatchObject({
      resource: 'ppa:linbit/linbit-drbd9-stack',
      detail: "Launchpad no longer has ppa:~linbit/ubuntu/linbit-drbd9-stack",
    });
  });

  it('a DKMS build failure is a product failure, with kernel, module and make.log', async () => {
    const v = classifyProvisioningLog(await fixture('provisioning-dkms-build-failed.log'));
    expect(v).toEqual({
      outcome: 'product',
      detail: 'drbd-dkms: DKMS could not build drbd-9.2.9-1 for kernel 4.15.0-213-generic (see /var/lib/dkms/drbd/9.2.9-1/build/make.log in the guest)',
      evidence: 'Error! Bad return status for module build on kernel: 4.15.0-213-generic (x86_64)',
    });
    const err = provisioningFailure(v, 'console.log')!;
    expect(err).toBeInstanceOf(ProvisioningError);
    expect(err).not.toBeInstanceOf(UpstreamUnavailableError);
    expect(failureKind(err)).toBe('product');
    expect(err.message).toContain('image provisioning: drbd-dkms: DKMS could not build drbd-9.2.9-1');
  });

  it('DKMS failure wins even when the log also shows an upstream problem', async () => {
    const log = `${await fixture('provisioning-ppa-404.log')}\n${await fixture('provisioning-dkms-build-failed.log')}`;
    expect(classifyProvisioningLog(log).outcome).toBe('product');
    expect(classifyProvisioningLog("modprobe: FATAL: Module drbd not found in directory /lib/modules/4.15.0-213-generic")).toMatchObject({ outcome: 'product' });
  });

  it('a completed run: the marker line itself, not the xtrace line that prints it', async () => {
    const log = await fixture('provisioning-complete.log');
    expect(classifyProvisioningLog(log)).toEqual({ outcome: 'complete' });
    expect(provisioningFailure({ outcome: 'complete' }, 'x')).toBeUndefined();
    const onlyXtrace = log.split('\n').filter((l) => l !== 'drbdlab: provisioning complete').join('\n');
    expect(classifyProvisioningLog(onlyXtrace).outcome).toBe('incomplete');
    expect(classifyProvisioningLog('[  812.1] cloud-init[1012]: drbdlab: provisioning complete\r\n')).toEqual({ outcome: 'complete' });
  });

  it('an unknown failure names the step xtrace showed last', () => {
    const log = '+ apt-get update\nHit:1 http://archive.ubuntu.com/ubuntu bionic InRelease\n+ pvcreate /dev/vdb1\n  Device /dev/vdb1 not found.\ndrbdlab: provisioning failed (exit 5)\n';
    const v = classifyProvisioningLog(log);
    expect(v).toEqual({ outcome: 'incomplete', detail: 'a provisioning step failed (exit 5): pvcreate /dev/vdb1', evidence: 'drbdlab: provisioning failed (exit 5)' });
    expect(failureKind(provisioningFailure(v, 'c.log'))).toBe('infrastructure');
    expect(classifyProvisioningLog('')).toEqual({ outcome: 'incomplete', detail: 'the guest powered off before provisioning completed', evidence: '(empty console log)' });
    expect(classifyProvisioningLog('\x1b[0;32m[  OK  ]\x1b[0m Reached target Shutdown.\r\n')).toMatchObject({ outcome: 'incomplete', evidence: '[  OK  ] Reached target Shutdown.' });
  });
});

describe('provisioningQemuArgs', () => {
  const vm = {
    accel: 'kvm' as const,
    memoryMiB: 2048,
    cpus: 2,
    rootDisk: '/c/root.qcow2',
    dataDisk: '/c/data.qcow2',
    exportDisk: '/c/export.raw',
    seedIso: '/c/seed,1.iso',
    consoleLog: '/c/console.log',
    mac: '52:54:00:00:01:00',
  };

  it('root, data, export as vda, vdb, vdc; the seed as a CD-ROM; console to a file; no reboot', () => {
    const args = provisioningQemuArgs(vm);
    const drives = args.filter((_, i) => args[i - 1] === '-drive');
    expect(drives).toEqual([
      'file=/c/root.qcow2,format=qcow2,if=virtio,cache=unsafe,discard=unmap',
      'file=/c/data.qcow2,format=qcow2,if=virtio,cache=unsafe',
      'file=/c/export.raw,format=raw,if=virtio,cache=unsafe',
      'file=/c/seed,,1.iso,format=raw,media=cdrom,readonly=on',
    ]);
    expect(args).toContain('-no-reboot');
    expect(args.join(' ')).toContain('-serial file:/c/console.log');
    expect(args.join(' ')).toContain('-accel kvm -machine pc -cpu host -m 2048 -smp 2');
    expect(args.join(' ')).toContain('-device virtio-net-pci,netdev=net0,mac=52:54:00:00:01:00');
  });

  it('user networking with a way out (apt needs it), unlike the lab\'s restricted NIC; TCG gets qemu64', () => {
    const args = provisioningQemuArgs({ ...vm, accel: 'tcg' });
    expect(args[args.indexOf('-netdev') + 1]).toBe('user,id=net0');
    expect(args[args.indexOf('-cpu') + 1]).toBe('qemu64');
  });
});

describe('recordedVersions', () => {
  it('dpkg-query -W output, uname -r and the loaded module\'s version', () => {
    const versions = recordedVersions(
      'drbd-dkms\t9.0.32-1ppa1~bionic1\ndrbd-utils\t9.22.0-1ppa1~bionic1\npython-drbdmanage\t0.99.18-1ppa1~bionic1\nlinux-image-4.15.0-20-generic\t\nlinux-image-4.15.0-213-generic\t4.15.0-213.224\n',
      '4.15.0-213-generic\n',
      'version: 9.0.32-1 (api:2/proto:86-121)\nGIT-hash: 7f7a1b4 build by root@drbdlab-template, 2024-03-04 02:20:11\nTransports (api:16): tcp (9.0.32-1)\n',
    );
    expect(versions).toEqual({
      'drbd-dkms': '9.0.32-1ppa1~bionic1',
      'drbd-utils': '9.22.0-1ppa1~bionic1',
      'python-drbdmanage': '0.99.18-1ppa1~bionic1',
      'linux-image-4.15.0-213-generic': '4.15.0-213.224',
      kernel: '4.15.0-213-generic',
      'drbd-module-loaded': '9.0.32-1',
    });
    expect(recordedVersions('', '', '')).toEqual({});
  });
});

describe('downloads', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-dl-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams into .part and renames it into place', async () => {
    const body = Buffer.alloc(300_000, 7);
    const fake: FetchLike = async () => new Response(body);
    const dest = join(dir, 'sub', 'img');
    await downloadTo('https://cloud-images.example/img', dest, fake);
    expect((await readFile(dest)).equals(body)).toBe(true);
    expect(await readdir(join(dir, 'sub'))).toEqual(['img']);
  });

  it('no network: UpstreamUnavailableError naming the host; nothing written', async () => {
    const fake: FetchLike = async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } });
    };
    const err = await downloadTo('https://cloud-images.ubuntu.com/releases/bionic/release/x.img', join(dir, 'x.img'), fake).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toBe(
      'upstream unavailable: cloud-images.ubuntu.com: needs network access to cloud-images.ubuntu.com to download https://cloud-images.ubuntu.com/releases/bionic/release/x.img (ENOTFOUND)',
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('a 404 means the file is no longer published', async () => {
    const fake: FetchLike = async () => new Response('gone', { status: 404, statusText: 'Not Found' });
    await expect(fetchText('https://cloud-images.ubuntu.com/releases/bionic/release/SHA256SUMS', fake)).rejects.toThrow(
      'upstream unavailable: https://cloud-images.ubuntu.com/releases/bionic/release/SHA256SUMS: HTTP 404 Not Found: no longer published there',
    );
  });

  it('a download that breaks off leaves no .part and no file', async () => {
    const fake: FetchLike = async () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new Uint8Array([1, 2, 3]));
            c.error(new Error('connection reset'));
          },
        }),
      );
    await expect(downloadTo('https://h.example/img', join(dir, 'img'), fake)).rejects.toThrow(/the download of https:\/\/h\.example\/img broke off: connection reset/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('Ubuntu1804Profile.ensureImage', () => {
  let cache: string;
  /** The run's folders as the profile gets them: the cache under test (its labs folder has none). */
  const folders = () => ({ cache, state: join(cache, 'labs') });
  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'drbdlab-cache-'));
  });
  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  const noFetch: FetchLike = async (url) => {
    throw new Error(`fetch must not be called here (${url})`);
  };

  it('offline: fails fast with UpstreamUnavailableError before any download, and leaves nothing behind', async () => {
    const asked: string[][] = [];
    const p = new Ubuntu1804Profile(async (hosts) => (asked.push(hosts), hosts), { folders: folders(), build: { fetch: noFetch } });
    const err = await p.ensureImage(silent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toBe(
      `upstream unavailable: ${UBUNTU_UPSTREAMS.join(', ')}: the ubuntu1804-drbd9 profile needs network access to ${UBUNTU_UPSTREAMS.join(', ')}; use --profile debian12-drbd84 to run offline`,
    );
    expect(asked).toEqual([UBUNTU_UPSTREAMS]);
    expect(await readdir(cache)).toEqual([]);
  });

  it('offline: a cached template needs no network at all (an image made before upstream tracking too)', async () => {
    const recipe = ubuntu1804Recipe();
    const digest = ubuntuRecipeDigest(recipe);
    const dir = imageDir(cache, 'ubuntu1804-drbd9', digest);
    await mkdir(dir, { recursive: true });
    const versions = { 'drbd-dkms': '9.0.32-1ppa1~bionic1', kernel: '4.15.0-213-generic' };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ digest, disk: join(dir, 'disk.qcow2'), versions }));
    let probes = 0;
    const said: string[] = [];
    const p = new Ubuntu1804Profile(async (h) => (probes++, h), { folders: folders(), offline: true, build: { fetch: noFetch } });
    expect(await p.ensureImage((m) => said.push(m))).toEqual({
      profile: 'ubuntu1804-drbd9',
      disk: join(dir, 'disk.qcow2'),
      digest,
      dir,
      boot: { kind: 'disk' },
      versions,
      built: false,
      offline: true,
    });
    expect(probes).toBe(0);
    expect(said).toEqual([`offline: upstreams not asked; image ubuntu1804-drbd9 ${digest.slice(0, 12)} as cached (built before upstream tracking)`]);
  });

  it("names the template's second disk (data.qcow2) as the clones' data disk, when the image has one", async () => {
    const recipe = ubuntu1804Recipe();
    const digest = ubuntuRecipeDigest(recipe);
    const dir = imageDir(cache, 'ubuntu1804-drbd9', digest);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ digest, disk: join(dir, 'disk.qcow2'), versions: {} }));
    const p = new Ubuntu1804Profile(async (h) => h, { folders: folders(), offline: true, build: { fetch: noFetch } });
    expect((await p.ensureImage(silent)).dataDisk).toBeUndefined();
    await writeFile(join(dir, 'data.qcow2'), '');
    expect((await p.ensureImage(silent)).dataDisk).toBe(join(dir, 'data.qcow2'));
  });

  it('offline with nothing cached: one line that says what to do', async () => {
    const p = new Ubuntu1804Profile(async (h) => h, { folders: folders(), offline: true, build: { fetch: noFetch } });
    await expect(p.ensureImage(silent)).rejects.toThrow(
      `--offline: no cached ubuntu1804-drbd9 image for this recipe in ${join(cache, 'images')}: run \`npm run lab -- image build --profile ubuntu1804-drbd9\` once with network access (or drop --offline / DRBDLAB_OFFLINE)`,
    );
  });

  /** Every upstream answers with a body of our choosing; the URLs asked are kept. */
  function upstreamFake(bodies: Record<string, string> = {}) {
    const asked: string[] = [];
    const fake: FetchLike = async (url) => {
      asked.push(url);
      if (url in bodies) return new Response(bodies[url]);
      if (url.endsWith('/SHA256SUMS')) return new Response(`${'c'.repeat(64)} *bionic-server-cloudimg-amd64.img\n`);
      if (url.endsWith('/InRelease')) return new Response(`InRelease of ${url}`);
      return new Response('not the image'); // the cloud image download
    };
    return { fake, asked };
  }

  /** A cached template at the identity the fake upstreams give now. */
  async function cacheTemplateFor(recipe: ReturnType<typeof ubuntu1804Recipe>, fake: FetchLike) {
    const recipeDigest = ubuntuRecipeDigest(recipe);
    const upstreams = await readUpstreamState(ubuntuUpstreamChecks(recipe), { fetch: fake });
    const digest = imageIdentity(recipeDigest, upstreams);
    const dir = imageDir(cache, 'ubuntu1804-drbd9', digest);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ digest, recipeDigest, upstreams, builtAt: '2026-11-27T00:00:00.000Z', disk: join(dir, 'disk.qcow2'), versions: {} }));
    return { digest, dir };
  }

  it('online: reachable first, then one request per upstream; unchanged → the cached template', async () => {
    const { fake, asked } = upstreamFake();
    const { dir } = await cacheTemplateFor(ubuntu1804Recipe(), fake);
    asked.length = 0;
    let probes = 0;
    const p = new Ubuntu1804Profile(async () => (probes++, []), { folders: folders(), build: { fetch: fake } });
    const img = await p.ensureImage(silent);
    expect(img).toMatchObject({ dir, built: false, offline: false });
    expect(probes).toBe(1);
    expect(asked.sort()).toEqual([
      'http://archive.ubuntu.com/ubuntu/dists/bionic-security/InRelease',
      'http://archive.ubuntu.com/ubuntu/dists/bionic-updates/InRelease',
      'http://archive.ubuntu.com/ubuntu/dists/bionic/InRelease',
      'https://cloud-images.ubuntu.com/releases/bionic/release/SHA256SUMS',
      'https://ppa.launchpadcontent.net/linbit/linbit-drbd9-stack/ubuntu/dists/bionic/InRelease',
    ]);
  });

  it('a new PPA release is a new identity: the cached template is not reused, a build starts and says why', async () => {
    const ppa = 'https://ppa.launchpadcontent.net/linbit/linbit-drbd9-stack/ubuntu/dists/bionic/InRelease';
    const { digest } = await cacheTemplateFor(ubuntu1804Recipe(), upstreamFake().fake);
    const { fake } = upstreamFake({ [ppa]: 'InRelease with drbd-dkms 9.0.33' });
    const said: string[] = [];
    const p = new Ubuntu1804Profile(async () => [], { folders: folders(), build: { fetch: fake } });
    // The build gets as far as the (fake) download, which does not match: proof it did not reuse.
    await expect(p.ensureImage((m) => said.push(m))).rejects.toBeInstanceOf(ChecksumMismatchError);
    const building = said.find((m) => m.includes(': building ('));
    expect(building).toMatch(
      new RegExp(`^image ubuntu1804-drbd9 [0-9a-f]{12}: building \\(upstream changed since image ${digest.slice(0, 12)}: https://ppa\\.launchpadcontent\\.net/linbit/linbit-drbd9-stack/ubuntu bionic [0-9a-f]{12} → [0-9a-f]{12}\\)$`),
    );
  });

  it('pinned: the PPA is never asked, so a PPA that moved on (or dropped bionic) does not override the set', async () => {
    const debs = ['drbd-dkms', 'drbd-utils', 'python-drbdmanage'].map((pkg) => ({
      package: pkg, version: '9.0.1-1', arch: 'amd64', filename: `${pkg}_9.0.1-1_amd64.deb`, sha256: 'd'.repeat(64),
    }));
    const recipe = ubuntu1804Recipe({ pinnedDebs: { format: 1, requested: ['drbd-utils', 'python-drbdmanage', 'drbd-dkms'], debs } });
    expect(ubuntuUpstreamChecks(recipe).map((c) => c.name)).not.toContain('https://ppa.launchpadcontent.net/linbit/linbit-drbd9-stack/ubuntu bionic');
    const { dir } = await cacheTemplateFor(recipe, upstreamFake().fake);
    const { fake, asked } = upstreamFake();
    const gonePpa: FetchLike = async (url, init) => (url.includes('launchpadcontent') ? new Response('', { status: 404 }) : fake(url, init));
    const p = new Ubuntu1804Profile(async () => [], { folders: folders(), recipe, pinnedDir: '/nonexistent', build: { fetch: gonePpa } });
    expect(await p.ensureImage(silent)).toMatchObject({ dir, built: false });
    expect(asked.filter((u) => u.includes('launchpadcontent'))).toEqual([]);
  });

  it('reachable but the SHA256SUMS is gone: UpstreamUnavailableError (404)', async () => {
    const fake: FetchLike = async () => new Response('', { status: 404, statusText: 'Not Found' });
    const p = new Ubuntu1804Profile(async () => [], { folders: folders(), build: { fetch: fake } });
    await expect(p.ensureImage(silent)).rejects.toThrow(/^upstream unavailable: https:\/\/cloud-images\.ubuntu\.com\/releases\/bionic\/release\/SHA256SUMS: HTTP 404/);
  });

  it('a download that does not match SHA256SUMS stops the build before any VM is made', async () => {
    const fake: FetchLike = async (url) =>
      url.endsWith('SHA256SUMS') ? new Response(`${'a'.repeat(64)} *bionic-server-cloudimg-amd64.img\n`) : new Response('not the image');
    let probes = 0;
    const p = new Ubuntu1804Profile(async () => (probes++, []), { folders: folders(), build: { fetch: fake } });
    const err = await p.ensureImage(silent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toMatch(/expected a{64}, actual [0-9a-f]{64}; delete the download and retry$/);
    expect(probes).toBe(3); // before reading the upstreams' state, before the SHA256SUMS and before the image
    expect(existsSync(join(cache, 'images'))).toBe(false);
  });

  it("the run's offline and pinned set reach the profile from the edge (profileByName), whatever DRBDLAB_OFFLINE and DRBDLAB_PIN_DIR say", async () => {
    vi.stubEnv('DRBDLAB_OFFLINE', '0');
    vi.stubEnv('DRBDLAB_PIN_DIR', join(cache, 'not-these'));
    try {
      // Offline: nothing probed, every upstream counts as unreachable.
      await expect(profileByName('ubuntu1804-drbd9', { folders: folders(), offline: true, accel: 'auto' }).checkAvailable()).rejects.toThrow(`upstream unavailable: ${UBUNTU_UPSTREAMS.join(', ')}:`);
      await expect(profileByName('ubuntu1804-drbd9', { folders: folders(), offline: true, accel: 'auto' }).ensureImage(silent)).rejects.toThrow(/^--offline: no cached ubuntu1804-drbd9 image for this recipe/);
      await expect(profileByName('debian12-drbd84', { folders: folders(), offline: true, accel: 'auto' }).ensureImage(silent)).rejects.toThrow(/^--offline: no cached debian12-drbd84 image for this recipe/);
      const pins = join(cache, 'pins');
      await mkdir(pins);
      await writeFile(join(pins, 'manifest.json'), JSON.stringify({ format: 1, requested: ['drbd-dkms'], debs: [] }));
      await expect(profileByName('ubuntu1804-drbd9', { folders: folders(), offline: true, accel: 'auto', pinDir: pins }).ensureImage(silent)).rejects.toThrow(/the pinned \.deb set is not usable:\n {2}missing package drbd-dkms/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a pinned set that does not verify is refused before anything else', async () => {
    const pins = join(cache, 'pins');
    await mkdir(pins);
    await writeFile(join(pins, 'manifest.json'), JSON.stringify({ format: 1, requested: ['drbd-dkms'], debs: [] }));
    const p = new Ubuntu1804Profile(async () => [], { folders: folders(), pinnedDir: pins, build: { fetch: noFetch } });
    await expect(p.ensureImage(silent)).rejects.toThrow(/the pinned \.deb set is not usable:\n {2}missing package drbd-dkms/);
  });
});
