// A node's reboot run by the real code of lib/lab/started-node.ts (StartedNode.reboot: boot id,
// `sudo systemctl reboot`, what its answer means, the wait for a new boot) on a scripted SSH
// session instead of a VM. The reboot command runs unrecorded on VMs (only the `#reboot` mark is
// in a recording), so a replay cannot change its answer; this puts that code in a replay.
import { vi } from 'vitest';
import { StartedNode, REBOOT_COMMAND } from '../../lib/lab/started-node.js';
import { BOOT_ID_COMMAND, CLOUD_INIT_COMMAND } from '../../lib/lab/readiness.js';
import { withNodes, type ScenarioLab, type ScenarioNode } from '../../lib/scenario/scenario-lab.js';
import type { ExecOptions, ExecResult } from '../../lib/ssh/session.js';

export const execResult = (exitCode: number | null, stderr = '', stdout = ''): ExecResult => ({ stdout, stderr, exitCode, durationMs: 1 });

/**
 * A StartedNode whose session answers the reboot command with `rebootAnswer`; after it the boot id
 * changes if `goesDown` (every time: a node reboots more than once), and cloud-init reports done. `commands`: what the node was sent.
 */
export function scriptedStartedNode(name: string, goesDown: boolean, rebootAnswer: () => Promise<ExecResult>): { node: StartedNode; commands: string[] } {
  const node = new StartedNode(
    { name, id: 1, domain: 'd', uuid: 'u', sshPort: 1, replicationIp: '10.255.255.101', hostKey: 'ssh-ed25519 AAAA' },
    '/nonexistent/console.log',
    'key',
    'debian',
  );
  const commands: string[] = [];
  let boots = 0;
  let connected = true;
  vi.spyOn(node.session, 'connected', 'get').mockImplementation(() => connected);
  vi.spyOn(node.session, 'connect').mockImplementation(async () => {
    connected = true;
  });
  vi.spyOn(node.session, 'close').mockImplementation(() => {
    connected = false;
  });
  vi.spyOn(node.session, 'exec').mockImplementation(async (command: string, _o?: ExecOptions) => {
    commands.push(command);
    if (command === REBOOT_COMMAND) {
      if (goesDown) boots++;
      return rebootAnswer();
    }
    if (command === BOOT_ID_COMMAND) return execResult(0, '', `boot-${boots}\n`);
    if (command === CLOUD_INIT_COMMAND) return execResult(0, '', 'cloud-init: disabled\nfirst boot: finished\nrunning\n');
    throw new Error(`unexpected command ${command}`);
  });
  return { node, commands };
}

/**
 * The replayed lab with `name`'s reboot first run by `started` (real StartedNode code, scripted
 * session, deadline `timeoutMs` for the new boot), then the recording's `#reboot` mark.
 */
export function withStartedNodeReboot(lab: ScenarioLab, name: string, started: StartedNode, timeoutMs: number): ScenarioLab {
  const nodes = lab.nodes.map((n): ScenarioNode =>
    n.name !== name
      ? n
      : {
          name: n.name,
          replicationIp: n.replicationIp,
          exec: (c, o) => n.exec(c, o),
          output: (c, o) => n.output(c, o),
          consoleLog: () => n.consoleLog(),
          replicationLink: (s) => n.replicationLink(s),
          powerOff: () => n.powerOff(),
          powerOn: () => n.powerOn(),
          reboot: async () => {
            await started.reboot(timeoutMs);
            await n.reboot();
          },
        },
  );
  return withNodes(lab, nodes);
}
