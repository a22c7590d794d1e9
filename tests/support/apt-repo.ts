// A tiny apt repository on 127.0.0.1 standing in for an archive: packages built with dpkg-deb
// (each may ship a few files of its own), indexed by apt-ftparchive (Packages, Release), served
// by Node's http server.

import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { execa } from 'execa';

/** `<out>/<name>_<version>_all.deb`, holding /usr/share/<name>/version and `files` (absolute path → content). */
export async function buildDeb(name: string, version: string, out: string, files: Readonly<Record<string, string>> = {}): Promise<string> {
  const root = join(out, `${name}-${version}-tree`);
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr', 'share', name), { recursive: true });
  await writeFile(join(root, 'usr', 'share', name, 'version'), `${version}\n`);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  await writeFile(
    join(root, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: drbdlab tests <tests@drbdlab.invalid>\nDescription: canary for drbdlab's upstream freshness test\n`,
  );
  const deb = join(out, `${name}_${version}_all.deb`);
  await execa('dpkg-deb', ['--root-owner-group', '--build', root, deb]);
  await rm(root, { recursive: true, force: true });
  return deb;
}

/**
 * Make `dir` a flat repository (`deb [trusted=yes] <url> ./`) of the debs in it: Packages and
 * Release, as apt-ftparchive writes them. No InRelease: unsigned, apt takes Release.
 */
export async function indexFlatRepo(dir: string): Promise<void> {
  const packages = await execa('apt-ftparchive', ['packages', '.'], { cwd: dir });
  await writeFile(join(dir, 'Packages'), packages.stdout + '\n');
  const release = await execa('apt-ftparchive', ['release', '.'], { cwd: dir });
  await writeFile(join(dir, 'Release'), release.stdout + '\n');
}

export async function debsIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.deb'));
}

/** Serve `dir` over HTTP on 127.0.0.1 (a port the OS picks). Requests are counted by path. */
export async function serveDir(dir: string): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    requests.push(`${req.method} ${path}`);
    const file = join(dir, path);
    const s = await stat(file).catch(() => undefined);
    if (!s?.isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': s.size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
