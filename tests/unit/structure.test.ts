// The import rules of .dependency-cruiser.cjs, checked on the whole project: no file reaches
// itself, no import runs up between the rooms of lib/, and no two folders import each other (a
// loop of folders that no file cycle shows). The rules are first shown to catch a planted
// violation, so a config that matches nothing cannot pass here.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';

interface Cruise {
  modules: { source: string; dependencies: { resolved: string; rules?: { name: string }[] }[] }[];
  summary: { violations: { from: string; to: string; rule: { name: string; severity: string } }[] };
}

async function cruise(cwd: string, paths: string[]): Promise<Cruise> {
  const r = await execa(join(PROJECT_ROOT, 'node_modules/.bin/depcruise'), ['--config', join(PROJECT_ROOT, '.dependency-cruiser.cjs'), '-T', 'json', ...paths], { cwd, reject: false });
  if (!r.stdout.startsWith('{')) throw new Error(`depcruise printed no result (exit ${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Cruise;
}

const errors = (c: Cruise) => c.summary.violations.filter((v) => v.rule.severity === 'error').map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

const isTest = (f: string) => /\.test\.ts$|^tests\//.test(f);

/** Folders that import each other, directly or round a longer loop (tests and known exceptions aside). */
function folderLoops(c: Cruise): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const m of c.modules) {
    if (isTest(m.source)) continue;
    for (const d of m.dependencies) {
      if (!d.resolved || d.rules?.some((r) => r.name.startsWith('known-'))) continue;
      const [a, b] = [dirname(m.source), dirname(d.resolved)];
      if (a !== b && b !== '.' && !b.startsWith('node_modules')) {
        if (!edges.has(a)) edges.set(a, new Set());
        edges.get(a)!.add(b);
      }
    }
  }
  // Tarjan's strongly connected components: each with more than one folder is a loop.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const loops: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) loops.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return loops;
}

// depcruise parses the whole project: on a host busy with VMs that takes longer than a unit test's default.
describe('import rules (.dependency-cruiser.cjs)', { timeout: 120_000 }, () => {
  it('catch a planted upward import, a file cycle, a folder loop and a lib file importing a test helper', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'structure-'));
    const files: Record<string, string> = {
      'lib/wait/poll.ts': "import { lab } from '../lab/lab.js';\nexport const poll = lab;\n",
      'lib/lab/lab.ts': 'export const lab = 1;\n',
      'lib/ssh/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'lib/ssh/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'lib/scenario/x/one.ts': "import { two } from '../y/two.js';\nexport const one = two;\n",
      'lib/scenario/y/two.ts': 'export const two = 2;\n',
      'lib/scenario/y/three.ts': "import { four } from '../x/four.js';\nexport const three = four;\n",
      'lib/scenario/x/four.ts': "import { fake } from '../../../tests/support/fake.js';\nexport const four = fake;\n",
      'tests/support/fake.ts': 'export const fake = 4;\n',
    };
    for (const [f, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, f)), { recursive: true });
      await writeFile(join(dir, f), text);
    }
    const c = await cruise(dir, ['lib', 'tests']);
    expect(errors(c).sort()).toEqual([
      'layer-wait: lib/wait/poll.ts → lib/lab/lab.ts',
      'lib-stands-alone: lib/scenario/x/four.ts → tests/support/fake.ts',
      'no-circular: lib/ssh/a.ts → lib/ssh/b.ts',
      'no-test-imports: lib/scenario/x/four.ts → tests/support/fake.ts',
    ]);
    expect(folderLoops(c)).toEqual([['lib/scenario/x', 'lib/scenario/y']]);
  });

  it('hold for the whole project: no import up between rooms, no cycle of files, no loop of folders', async () => {
    const c = await cruise(PROJECT_ROOT, ['lib', 'scenarios', 'scripts', 'tests', 'vitest.config.ts', 'vitest.mutation.config.ts', 'stryker.config.mjs']);
    expect(c.modules.length).toBeGreaterThan(200);
    expect(errors(c)).toEqual([]);
    expect(folderLoops(c)).toEqual([]);
  });
});
