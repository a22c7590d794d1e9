// Import rules as code, checked in the fast tests (tests/unit/structure.test.ts).
// Rooms of lib/, top to bottom: a file may import its own room and any room below it, never one
// above. lib/*.ts (errors, exit codes, project paths) is the floor every room stands on.
const LAYERS = ['cli', 'scenario', 'snapshot', 'lab', 'report', 'attribution', 'config', 'image', 'cloud-init', 'libvirt', 'host', 'bench', 'pacemaker', 'drbd', 'ssh', 'exec', 'wait'];

// Known exceptions, each named `known-…` so the folder-loop check of the structure test passes
// over it. None today: keep it that way.
const KNOWN = [];

// The rules are about the code the tools run; a test may reach up for a fake or a replay.
const TEST = '\\.test\\.ts$';
const below = (i) => LAYERS.slice(0, i);
const room = (name) => `^lib/${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file must not reach itself through its imports.',
      from: {},
      to: { circular: true },
    },
    ...LAYERS.slice(1).map((name, i) => ({
      name: `layer-${name}`,
      severity: 'error',
      comment: `lib/${name} sits below ${below(i + 1).map((n) => `lib/${n}`).join(', ')}: it must not import them.`,
      from: { path: room(name), pathNot: [TEST, ...KNOWN.filter((k) => k.from.startsWith(`^lib/${name}/`)).map((k) => k.from)] },
      to: { path: `^lib/(${below(i + 1).join('|')})/` },
    })),
    {
      name: 'floor',
      severity: 'error',
      comment: 'lib/*.ts is the floor: it imports no room of lib/.',
      from: { path: '^lib/[^/]+\\.ts$' },
      to: { path: '^lib/[^/]+/' },
    },
    {
      name: 'lib-stands-alone',
      severity: 'error',
      comment: 'lib/ never imports scenarios/, tests/, scripts/ or a config at the top.',
      from: { path: '^lib/', pathNot: TEST },
      to: { path: '^(scenarios|tests|scripts)/|^[^/]+\\.(ts|mjs|cjs)$' },
    },
    {
      name: 'drbd-parsers-pure',
      severity: 'error',
      comment: 'lib/drbd turns text into data; what runs commands on a node belongs in lib/scenario.',
      from: { path: '^lib/drbd/', pathNot: TEST },
      to: { path: '^lib/(ssh|exec)/|^(child_process|node:child_process)$' },
    },
    {
      name: 'no-test-imports',
      severity: 'error',
      comment: 'Only tests import test files and tests/support.',
      from: { pathNot: `${TEST}|^tests/` },
      to: { path: `${TEST}|^tests/` },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing.',
      from: {},
      to: { couldNotResolve: true },
    },
    ...KNOWN.map((k) => ({ name: k.name, severity: 'info', comment: 'known exception, see KNOWN', from: { path: k.from }, to: { path: k.to } })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)fixtures/' },
    tsPreCompilationDeps: true,
    // vitest and vite are imported by tests and configs; they resolve from node_modules.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
