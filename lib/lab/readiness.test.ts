import { describe, expect, it } from 'vitest';
import { CloudInitError, CommandTimeoutError, RemoteCommandError, SshTransportError, WaitTimeoutError } from '../errors.js';
import type { ExecOptions, ExecResult } from '../ssh/session.js';
import { pollUntil, type Clock } from '../wait/poll.js';
import { BOOT_ID_COMMAND, CLOUD_INIT_COMMAND, cloudInitCommand, cloudInitProbe, newBootProbe, readCloudInit, type ProbeSession } from './readiness.js';

class FakeClock implements Clock {
  t = 0;
  sleeps = 0;
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps++;
    this.t += ms;
  }
}

type Answer = Error | string | Partial<ExecResult>;

/**
 * A session that answers from a script: an Error from connect (SSH not up) is thrown by
 * connect; a string is the stdout of the next exec (exit 0); an object is an exec result.
 */
class ScriptedSession implements ProbeSession {
  readonly node = 'drbd1';
  connected = false;
  looks = 0;
  commands: string[] = [];
  /** Whether each command asked to be in the transcript. */
  recorded: boolean[] = [];
  constructor(private readonly script: { connect?: Error; exec?: Answer }[]) {}
  private step() {
    return this.script[Math.min(this.looks, this.script.length - 1)]!;
  }
  async connect(): Promise<void> {
    const s = this.step();
    if (s.connect) {
      this.looks++;
      throw s.connect;
    }
    this.connected = true;
  }
  async exec(command: string, o: ExecOptions = {}, record = true): Promise<ExecResult> {
    this.commands.push(command);
    this.recorded.push(record);
    const a = this.step().exec;
    if (a === undefined) throw new Error(`script: look ${this.looks + 1} expects connect, got exec`);
    this.looks++;
    if (a instanceof Error) {
      // As NodeSession: a deadline or a lost connection leaves it disconnected.
      if (a instanceof SshTransportError || a instanceof CommandTimeoutError) this.connected = false;
      throw a;
    }
    const r: ExecResult = { stdout: '', stderr: '', exitCode: 0, durationMs: 1, ...(typeof a === 'string' ? { stdout: a } : a) };
    if ((o.check ?? true) && r.exitCode !== 0) throw new RemoteCommandError(this.node, command, r.exitCode, r.stdout, r.stderr);
    return r;
  }
}

const refused = () => new SshTransportError('drbd1', 'ssh connect', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2201'), { code: 'ECONNREFUSED' }));
const handshake = () => new SshTransportError('drbd1', 'ssh connect', new Error('Timed out while waiting for handshake'));
const RESULT_OK = '{"v1": {"datasource": "DataSourceNoCloud [seed=/dev/sr0]", "errors": []}}';
const RESULT_ERRORS = '{"v1": {"datasource": "DataSourceNoCloud", "errors": ["(\'users-groups\', KeyError(\'lab\'))"]}}';

function waitReady(session: ScriptedSession, clock = new FakeClock()) {
  return pollUntil('SSH and cloud-init', cloudInitProbe(session), { timeoutMs: 300_000, intervalMs: 2_000, clock, target: session.node });
}

describe('readCloudInit', () => {
  it('after the first boot (cloud-init disabled by the node itself): ready when systemd says the boot is over', () => {
    const later = 'cloud-init: disabled\nfirst boot: finished\n';
    expect(readCloudInit('drbd1', `${later}running\n`)).toEqual({ done: true, seen: 'boot finished (running; cloud-init disabled after the first boot)' });
    expect(readCloudInit('drbd1', `${later}degraded\n`).done).toBe(true);
    expect(readCloudInit('drbd1', `${later}stopping\n`)).toEqual({ done: false, seen: 'SSH up, systemd stopping' });
    // `is-system-running --wait` past the probe's deadline prints nothing: not yet.
    expect(readCloudInit('drbd1', later)).toEqual({ done: false, seen: 'SSH up, systemd starting' });
  });
  it('cloud-init disabled without a finished first boot ends the wait: the node never got its identity', () => {
    expect(() => readCloudInit('drbd1', 'cloud-init: disabled\n')).toThrow(/disabled but never finished a first boot/);
  });
  it('result.json without errors is done; `cloud-init status` running is not yet', () => {
    expect(readCloudInit('drbd1', RESULT_OK)).toEqual({ done: true, seen: 'cloud-init done' });
    expect(readCloudInit('drbd1', 'status: running')).toEqual({ done: false, seen: 'SSH up, cloud-init status: running' });
    expect(readCloudInit('drbd1', '')).toEqual({ done: false, seen: 'SSH up, cloud-init running' });
  });

  it('result.json with errors throws CloudInitError with the node and the errors', () => {
    const err = (() => {
      try {
        readCloudInit('drbd1', RESULT_ERRORS);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CloudInitError);
    expect(err).toMatchObject({ node: 'drbd1', errors: ["('users-groups', KeyError('lab'))"], kind: 'infrastructure' });
    expect((err as Error).message).toBe("drbd1: cloud-init finished with errors: ('users-groups', KeyError('lab'))");
  });

  it('`cloud-init status` saying error (no result.json: a stage crashed) throws', () => {
    expect(() => readCloudInit('drbd1', 'status: error')).toThrow(CloudInitError);
    expect(() => readCloudInit('drbd1', '\nstatus: error\nextended_status: error - running')).toThrow(/cloud-init finished with errors: status: error/);
  });

  it('a result.json that does not parse throws a SyntaxError', () => {
    expect(() => readCloudInit('drbd1', '{"v1": {"errors": [')).toThrow(SyntaxError);
  });
});

describe('pollReady probe (cloudInitProbe under pollUntil)', () => {
  it('keeps waiting while SSH is refused or has no handshake, and while result.json is absent', async () => {
    const s = new ScriptedSession([
      { connect: refused() },
      { connect: handshake() },
      { exec: 'status: running' }, // result.json absent: `cloud-init status` answered
      { exec: '' }, // neither answered yet
      { exec: RESULT_OK },
    ]);
    const clock = new FakeClock();
    await expect(waitReady(s, clock)).resolves.toBeUndefined();
    expect(s.looks).toBe(5);
    expect(clock.sleeps).toBe(4);
    expect(s.commands).toEqual([CLOUD_INIT_COMMAND, CLOUD_INIT_COMMAND, CLOUD_INIT_COMMAND]);
    // The lab's own polling stays out of the transcript (which holds what scenarios ran).
    expect(s.recorded).toEqual([false, false, false]);
  });

  it('a probe command past its deadline is not yet (cloud-init status is slow under TCG)', async () => {
    const s = new ScriptedSession([{ exec: new CommandTimeoutError('drbd1', CLOUD_INIT_COMMAND, 15_000, 'infrastructure') }, { exec: RESULT_OK }]);
    await expect(waitReady(s)).resolves.toBeUndefined();
    expect(s.looks).toBe(2);
  });

  it('cloud-init errors end the wait at once, not after the 300 s deadline', async () => {
    const s = new ScriptedSession([{ connect: refused() }, { exec: 'status: running' }, { exec: RESULT_ERRORS }, { exec: RESULT_OK }]);
    const clock = new FakeClock();
    const err = await waitReady(s, clock).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudInitError);
    expect(err).not.toBeInstanceOf(WaitTimeoutError);
    expect(s.looks).toBe(3);
    expect(clock.t).toBe(4_000);
  });

  it('`cloud-init status: error` ends the wait at once', async () => {
    const s = new ScriptedSession([{ exec: { stdout: 'status: error', exitCode: 1 } }, { exec: RESULT_OK }]);
    await expect(waitReady(s)).rejects.toBeInstanceOf(CloudInitError);
    expect(s.looks).toBe(1);
  });

  it('a wrong user key (not a transport error) ends the wait at once', async () => {
    const auth = Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' });
    const s = new ScriptedSession([{ connect: auth }, { exec: RESULT_OK }]);
    await expect(waitReady(s)).rejects.toBe(auth);
    expect(s.looks).toBe(1);
  });
});

describe('reboot wait (newBootProbe under pollUntil)', () => {
  const wait = (s: ScriptedSession) => pollUntil('the node to come back with a new boot_id', newBootProbe(s, 'old-id'), { timeoutMs: 240_000, intervalMs: 2_000, clock: new FakeClock() });

  it('keeps waiting on transport errors, a command past its deadline and the old boot_id', async () => {
    const s = new ScriptedSession([
      { exec: 'old-id' }, // sshd of the old system still up
      { exec: new SshTransportError('drbd1', BOOT_ID_COMMAND, new Error('Connection closed during the command, no exit status')) },
      { exec: new CommandTimeoutError('drbd1', BOOT_ID_COMMAND, 15_000, 'infrastructure') },
      { connect: refused() },
      { connect: handshake() },
      { exec: 'new-id' },
    ]);
    await expect(wait(s)).resolves.toBe('new-id');
    expect(s.looks).toBe(6);
  });

  it('a failed command ends the wait at once with that RemoteCommandError', async () => {
    const s = new ScriptedSession([{ connect: refused() }, { exec: { exitCode: 1, stderr: 'cat: /proc/sys/kernel/random/boot_id: No such file' } }, { exec: 'new-id' }]);
    const err = await wait(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).not.toBeInstanceOf(SshTransportError);
    expect(err).toMatchObject({ node: 'drbd1', command: BOOT_ID_COMMAND, exitCode: 1 });
    expect(s.looks).toBe(2);
  });
});

describe('the cloud-init command, run by a shell against a made-up node', () => {
  // The files a node has at each moment; fake `cloud-init` and `systemctl` answer as 22.4 and systemd do.
  async function runAt(files: Record<string, string>, systemState = 'running'): Promise<string> {
    const { mkdtemp, mkdir, writeFile, chmod } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { dirname, join } = await import('node:path');
    const { execa } = await import('execa');
    const root = await mkdtemp(join(tmpdir(), 'cloud-init-cmd-'));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    const bin = join(root, 'bin');
    await mkdir(bin);
    // cloud-init 22.4 says "disabled" as soon as the marker file exists, even while it runs.
    await writeFile(join(bin, 'cloud-init'), `#!/bin/sh\n[ -e ${root}/etc/cloud/cloud-init.disabled ] && echo 'status: disabled' || echo 'status: running'\n`);
    await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho ${systemState}\n`);
    await chmod(join(bin, 'cloud-init'), 0o755);
    await chmod(join(bin, 'systemctl'), 0o755);
    const r = await execa('sh', ['-c', cloudInitCommand(root)], { env: { PATH: `${bin}:${process.env.PATH}` }, reject: false });
    return r.stdout;
  }

  it('first boot, after its runcmd wrote the marker but before cloud-final ended: not yet (no error)', async () => {
    const out = await runAt({ 'run/cloud-init/enabled': '', 'etc/cloud/cloud-init.disabled': '' });
    expect(readCloudInit('drbd1', out)).toEqual({ done: false, seen: 'SSH up, cloud-init status: disabled' });
  });

  it('first boot, cloud-final done: ready', async () => {
    const out = await runAt({ 'run/cloud-init/enabled': '', 'etc/cloud/cloud-init.disabled': '', 'run/cloud-init/result.json': RESULT_OK, 'var/lib/cloud/instance/boot-finished': '' });
    expect(readCloudInit('drbd1', out).done).toBe(true);
  });

  it('a later boot: ready when systemd says the boot is over', async () => {
    const later = { 'run/cloud-init/disabled': '', 'etc/cloud/cloud-init.disabled': '', 'var/lib/cloud/instance/boot-finished': '' };
    expect(readCloudInit('drbd1', await runAt(later, 'starting')).done).toBe(false);
    expect(readCloudInit('drbd1', await runAt(later, 'degraded')).done).toBe(true);
  });

  it('a later boot of a node whose first boot never finished: an error', async () => {
    const out = await runAt({ 'run/cloud-init/disabled': '', 'etc/cloud/cloud-init.disabled': '' });
    expect(() => readCloudInit('drbd1', out)).toThrow(CloudInitError);
  });
});
