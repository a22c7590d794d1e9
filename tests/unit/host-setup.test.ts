// scripts/host-setup.sh starts libvirt's daemons by hand where systemd does not run. Started from
// a job that holds a lock (`flock <file> bash scripts/host-setup.sh …`), a daemon that inherited
// the lock's descriptor would hold the lock as long as it runs. Its start_daemon, taken from the
// script itself, is run here on a command that lists its own descriptors.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';

it('a daemon started by host setup inherits no descriptor but stdin, stdout and stderr (a lock stays the job\'s)', async () => {
  const script = await readFile(join(PROJECT_ROOT, 'scripts/host-setup.sh'), 'utf8');
  const fn = /^start_daemon\(\) \{\n[\s\S]*?\n\}\n/mu.exec(script)?.[0];
  expect(fn, 'start_daemon in scripts/host-setup.sh').toBeDefined();
  // fds 7 and 9 open as a lock would be; the command run is a shell that prints what it has open.
  const r = await execa('bash', ['-c', `${fn}\nexec 7>/dev/null 9</dev/null\nstart_daemon sh -c 'ls /proc/$$/fd'`]);
  expect(r.stdout.split('\n').map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2]);
});
