import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CommandTimeoutError, RemoteCommandError, SshTransportError } from '../errors.js';
import { isTransient } from '../wait/transient.js';
import type { CommandRecord, CommandSink } from './command-record.js';
import { NodeSession, type SessionOptions } from './session.js';

// ssh2 (node-ssh's transport) ships no types and @types/ssh2 is not installed: load it with
// require and type only the server surface this test uses.
interface ParsedKey {
  type: string;
  getPublicSSH(): Buffer;
  verify(data: Buffer, signature: Buffer, hashAlgo?: string): boolean | Error;
}
interface AuthContext {
  method: string;
  username: string;
  key?: { algo: string; data: Buffer };
  signature?: Buffer;
  blob?: Buffer;
  hashAlgo?: string;
  accept(): void;
  reject(methods?: string[]): void;
}
interface ExecChannel {
  write(data: string): boolean;
  stderr: { write(data: string): boolean };
  exit(code: number): void;
  end(): void;
}
interface ServerConnection extends EventEmitter {
  end(): void;
}
interface SshServer extends EventEmitter {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo;
  close(cb?: () => void): void;
}
interface Ssh2 {
  Server: new (config: { hostKeys: string[] }, onClient: (c: ServerConnection) => void) => SshServer;
  utils: {
    generateKeyPairSync(type: 'ed25519', opts?: { comment?: string }): { private: string; public: string };
    parseKey(data: string): ParsedKey | Error;
  };
}
const { Server, utils } = createRequire(import.meta.url)('ssh2') as Ssh2;

interface FakeNode {
  port: number;
  connections: number;
  authAttempts: number;
  commands: string[];
  /** Drop every open connection from the server side. */
  dropAll(): void;
  /** Reset every open connection (TCP RST), as a node that is powered off may. */
  resetAll(): void;
  close(): Promise<void>;
}

/** A canned sshd on 127.0.0.1:0 that accepts one public key for user "lab". */
async function startFakeNode(hostPrivateKey: string, userPublicKey: string): Promise<FakeNode> {
  const allowed = utils.parseKey(userPublicKey);
  if (allowed instanceof Error) throw allowed;
  const open = new Set<ServerConnection>();
  const node = { port: 0, connections: 0, authAttempts: 0, commands: [] as string[] };

  const server = new Server({ hostKeys: [hostPrivateKey] }, (client) => {
    node.connections++;
    open.add(client);
    client.on('error', () => {}); // resets when the client side drops the socket
    client.on('close', () => open.delete(client));
    client.on('authentication', (ctx: AuthContext) => {
      node.authAttempts++;
      const ok =
        ctx.method === 'publickey' &&
        ctx.username === 'lab' &&
        ctx.key?.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
      if (ok) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept: () => EventEmitter) => {
        accept().once('exec', (acceptExec: () => ExecChannel, _reject: () => void, info: { command: string }) => {
          node.commands.push(info.command);
          const ch = acceptExec();
          switch (info.command) {
            case 'echo hi':
              ch.write('hi\n');
              ch.exit(0);
              ch.end();
              break;
            case 'false':
              ch.write('some output\n');
              ch.stderr.write('false: it failed\n');
              ch.exit(1);
              ch.end();
              break;
            case 'hang':
              break; // never answers
            default:
              ch.stderr.write(`sh: ${info.command}: not found\n`);
              ch.exit(127);
              ch.end();
          }
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(node, {
    port: server.address().port,
    dropAll: () => open.forEach((c) => c.end()),
    resetAll: () => open.forEach((c) => (c as unknown as { _sock: { resetAndDestroy(): void } })._sock.resetAndDestroy()),
    close: () =>
      new Promise<void>((resolve) => {
        open.forEach((c) => c.end());
        server.close(() => resolve());
      }),
  });
}

class ArraySink implements CommandSink {
  records: Omit<CommandRecord, 'seq'>[] = [];
  record(entry: Omit<CommandRecord, 'seq'>): void {
    this.records.push(entry);
  }
}

describe('NodeSession against an in-process SSH server', () => {
  let hostKey: { private: string; public: string };
  let userKey: { private: string; public: string };
  let node: FakeNode;
  let sink: ArraySink;
  const sessions: NodeSession[] = [];

  function session(over: Partial<SessionOptions> = {}): NodeSession {
    const s = new NodeSession({
      node: 'drbd1',
      port: node.port,
      username: 'lab',
      privateKey: userKey.private,
      hostKey: hostKey.public,
      sink,
      ...over,
    });
    sessions.push(s);
    return s;
  }

  beforeAll(() => {
    hostKey = utils.generateKeyPairSync('ed25519', { comment: 'drbd1 host' });
    userKey = utils.generateKeyPairSync('ed25519', { comment: 'lab user' });
  });
  beforeEach(async () => {
    sink = new ArraySink();
    node = await startFakeNode(hostKey.private, userKey.public);
  });
  afterEach(async () => {
    sessions.splice(0).forEach((s) => s.close());
    await node.close();
  });

  it('exec returns stdout and the exit code and records the command', async () => {
    const s = session();
    const r = await s.exec('echo hi');
    expect(r).toMatchObject({ stdout: 'hi', stderr: '', exitCode: 0 });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(s.connected).toBe(true);
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]).toMatchObject({ node: 'drbd1', command: 'echo hi', stdout: 'hi', stderr: '', exitCode: 0 });
    expect(Date.parse(sink.records[0]!.startedAt)).not.toBeNaN();
    // The connection is kept open and reused.
    await s.exec('echo hi');
    expect(node.connections).toBe(1);
    expect(node.commands).toEqual(['echo hi', 'echo hi']);
  });

  it("the lab's own commands (record: false) stay out of the transcript, per call: a scenario's command at the same time is recorded", async () => {
    const s = session();
    await s.exec('echo hi');
    // A probe and a scenario's command in flight together: only the scenario's is recorded.
    await Promise.all([s.exec('echo hi', {}, false), s.exec('false', { check: false })]);
    await expect(s.exec('false', {}, false)).rejects.toMatchObject({ exitCode: 1 });
    expect(node.commands).toHaveLength(4);
    expect(sink.records.map((r) => [r.command, r.exitCode])).toEqual([['echo hi', 0], ['false', 1]]);
  });

  it('a non-zero exit throws RemoteCommandError with node, command, exit code and stderr', async () => {
    const err = await session().exec('false').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).toMatchObject({
      node: 'drbd1',
      command: 'false',
      exitCode: 1,
      stdout: 'some output',
      stderr: 'false: it failed',
      kind: 'product',
    });
    expect((err as Error).message).toBe('drbd1: `false` exited 1\n  false: it failed');
    expect(sink.records[0]).toMatchObject({ command: 'false', exitCode: 1, stderr: 'false: it failed' });
  });

  it('the failure kind can be set per command', async () => {
    await expect(session().exec('false', { kind: 'infrastructure' })).rejects.toMatchObject({ kind: 'infrastructure' });
  });

  it('check:false returns the failed result instead of throwing', async () => {
    const r = await session().exec('false', { check: false });
    expect(r).toMatchObject({ stdout: 'some output', stderr: 'false: it failed', exitCode: 1 });
  });

  it('a hanging command rejects with CommandTimeoutError (product, "timed out") after timeoutMs, and the session recovers', async () => {
    const s = session();
    await s.connect();
    const started = Date.now();
    const err = await s.exec('hang', { timeoutMs: 500 }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(CommandTimeoutError);
    // A DRBD command that hangs is DRBD's failure unless the caller says the command is the harness's.
    expect(err).toMatchObject({ node: 'drbd1', command: 'hang', timeoutMs: 500, exitCode: null, kind: 'product', timedOut: true });
    expect((err as Error).message).toBe('drbd1: `hang` timed out after 1 s (no answer; the connection was closed to stop it)');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5_000);
    expect(s.connected).toBe(false);
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]).toMatchObject({ command: 'hang', exitCode: null, stdout: '', timedOut: true });
    expect(sink.records[0]!.stderr).toContain('timed out');
    // The next command opens a new connection.
    expect((await s.exec('echo hi')).stdout).toBe('hi');
    expect(node.connections).toBe(2);
  });

  it('a hanging harness command times out as infrastructure', async () => {
    const err = await session().exec('hang', { timeoutMs: 300, kind: 'infrastructure' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err).toMatchObject({ kind: 'infrastructure' });
  });

  it('a different host key is refused before authenticating', async () => {
    const other = utils.generateKeyPairSync('ed25519', { comment: 'impostor' });
    const s = session({ hostKey: other.public });
    const err = await s.exec('echo hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).toMatchObject({ node: 'drbd1', command: 'ssh connect', exitCode: null, kind: 'infrastructure' });
    expect((err as Error).message).toContain(`host key of 127.0.0.1:${node.port} does not match the key pinned for drbd1`);
    expect(s.connected).toBe(false);
    expect(node.authAttempts).toBe(0);
    expect(node.commands).toEqual([]);
  });

  it('a wrong user key is an authentication error, not a host key one', async () => {
    const other = utils.generateKeyPairSync('ed25519');
    const err = await session({ privateKey: other.private }).exec('echo hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('host key');
    expect(node.authAttempts).toBeGreaterThan(0);
    expect(node.commands).toEqual([]);
  });

  it('after the server drops the connection, the next exec reconnects', async () => {
    const s = session();
    expect((await s.exec('echo hi')).exitCode).toBe(0);
    node.dropAll();
    await vi.waitFor(() => expect(s.connected).toBe(false), { timeout: 5_000, interval: 20 });
    expect((await s.exec('echo hi')).stdout).toBe('hi');
    expect(node.connections).toBe(2);
    expect(s.connected).toBe(true);
  });

  it('a reset of an idle connection is no uncaught error; the next exec reconnects', async () => {
    const s = session();
    await s.exec('echo hi');
    node.resetAll();
    await vi.waitFor(() => expect(s.connected).toBe(false), { timeout: 5_000, interval: 20 });
    expect((await s.exec('echo hi')).stdout).toBe('hi');
    expect(node.connections).toBe(2);
  });

  it('a reset during a command fails that command at once, without an exit status', async () => {
    const s = session();
    await s.connect();
    setTimeout(() => node.resetAll(), 100);
    const started = Date.now();
    const err = await s.exec('hang', { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).toMatchObject({ command: 'hang', exitCode: null });
    // …of the transport kind: a wait (a reboot) takes it as "not yet".
    expect(err).toBeInstanceOf(SshTransportError);
    expect(isTransient(err)).toBe(true);
    expect((await s.exec('echo hi')).stdout).toBe('hi');
  });

  it('a wrong user key or host key is no transport error: a wait ends on it', async () => {
    const other = utils.generateKeyPairSync('ed25519');
    const auth = await session({ privateKey: other.private }).connect().catch((e: unknown) => e);
    expect(auth).not.toBeInstanceOf(SshTransportError);
    expect(isTransient(auth)).toBe(false);
    const hostKey = await session({ hostKey: other.public }).connect().catch((e: unknown) => e);
    expect(hostKey).toBeInstanceOf(RemoteCommandError);
    expect(isTransient(hostKey)).toBe(false);
  });
});

/** A port whose listener does `onSocket` with every connection (nothing behind a port forward). */
async function tcpPort(onSocket: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    onSocket(sock);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (sockets.forEach((x) => x.destroy()), server.close(() => resolve()))),
  };
}

describe('NodeSession: what a node that is not up yet looks like (real ssh2 errors)', () => {
  const keys = utils.generateKeyPairSync('ed25519');
  const session = (port: number) => new NodeSession({ node: 'drbd2', port, username: 'lab', privateKey: keys.private, hostKey: keys.public });

  it('connection refused: SshTransportError around ECONNREFUSED, transient', async () => {
    const free = await tcpPort(() => {});
    await free.close(); // a port nobody listens on now
    const err = await session(free.port).connect(2_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshTransportError);
    expect(err).toMatchObject({ node: 'drbd2', command: 'ssh connect', exitCode: null, kind: 'infrastructure' });
    expect((err as Error & { cause: { code?: string } }).cause.code).toBe('ECONNREFUSED');
    expect(isTransient(err)).toBe(true);
  });

  it('accepted, then closed before the handshake (slirp with no sshd behind): transient', async () => {
    const port = await tcpPort((s) => s.end());
    try {
      const err = await session(port.port).exec('echo hi').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshTransportError);
      expect(err).toMatchObject({ node: 'drbd2', command: 'echo hi', exitCode: null });
      expect(isTransient(err)).toBe(true);
    } finally {
      await port.close();
    }
  });

  it('accepted, never answered: "Timed out while waiting for handshake", transient', async () => {
    const port = await tcpPort(() => {});
    try {
      const err = await session(port.port).connect(300).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshTransportError);
      expect((err as Error).message).toContain('Timed out while waiting for handshake');
      expect(isTransient(err)).toBe(true);
    } finally {
      await port.close();
    }
  });
});
