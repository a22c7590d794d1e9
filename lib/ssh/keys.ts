import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { run } from '../exec/run.js';

export interface KeyPair {
  privatePath: string;
  privateKey: string;
  publicKey: string; // "ssh-ed25519 AAAA… comment"
}

/** An ed25519 key pair made with ssh-keygen (host keys and the lab user's key). */
export async function ensureKeyPair(path: string, comment: string): Promise<KeyPair> {
  if (!existsSync(path)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return {
    privatePath: path,
    privateKey: await readFile(path, 'utf8'),
    publicKey: (await readFile(`${path}.pub`, 'utf8')).trim(),
  };
}

/** The raw key blob of an OpenSSH public key line, as ssh2's hostVerifier receives it. */
export function publicKeyBlob(publicKeyLine: string): Buffer {
  const [, b64] = publicKeyLine.trim().split(/\s+/);
  if (!b64) throw new Error(`not an OpenSSH public key: ${publicKeyLine.slice(0, 40)}`);
  return Buffer.from(b64, 'base64');
}

/** A known_hosts line for `ssh -o UserKnownHostsFile=…` (port-qualified, as OpenSSH writes it). */
export function knownHostsLine(port: number, publicKeyLine: string): string {
  const [type, b64] = publicKeyLine.trim().split(/\s+/);
  return `[127.0.0.1]:${port} ${type} ${b64}`;
}
