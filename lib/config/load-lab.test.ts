import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { inCidr, prefixLength } from './lab-schema.js';
import { loadLabConfig, parseLabConfig } from './load-lab.js';

const LAB_YAML = fileURLToPath(new URL('../../lab/lab.yaml', import.meta.url));
const shipped = readFileSync(LAB_YAML, 'utf8');

/** Apply one edit to the shipped lab.yaml, failing loudly if the edit no longer applies. */
function edited(from: string | RegExp, to: string): string {
  const out = shipped.replace(from, to);
  expect(out, `edit ${String(from)} did not apply`).not.toBe(shipped);
  return out;
}

function configError(text: string): ConfigError {
  try {
    parseLabConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.message).not.toContain('\n');
    expect(e.kind).toBe('usage');
    return e;
  }
  throw new Error('expected a ConfigError, but the text validated');
}

describe('the shipped lab/lab.yaml', () => {
  it('parses into three nodes with ids 1-3 on 10.255.255.101..103', async () => {
    const lab = await loadLabConfig(LAB_YAML);
    expect(lab.nodes).toEqual([
      { name: 'drbd1', id: 1, replicationIp: '10.255.255.101' },
      { name: 'drbd2', id: 2, replicationIp: '10.255.255.102' },
      { name: 'drbd3', id: 3, replicationIp: '10.255.255.103' },
    ]);
    expect(lab.replicationNetwork).toBe('10.255.255.0/24');
    expect(lab.libvirtUri).toBe('qemu:///system');
    expect(lab.memoryMiB).toBe(512);
    expect(lab.profile).toBeUndefined();
  });

  it('defaults libvirtUri when omitted', () => {
    expect(parseLabConfig(edited(/^libvirtUri:.*$/m, '')).libvirtUri).toBe('qemu:///system');
  });
});

describe('bad lab.yaml gives a one-line ConfigError naming the path and the fix', () => {
  it('unknown key (typo memoryMib) is reported as the typo, not as a missing key', () => {
    const e = configError(edited('memoryMiB:', 'memoryMib:'));
    expect(e.message).toBe('lab.yaml: unknown key "memoryMib": remove it or check the spelling');
  });

  it('unknown key inside a node names the node path', () => {
    const e = configError(edited('id: 2,', 'id: 2, ip: 10.255.255.9,'));
    expect(e.path).toBe('nodes.1');
    expect(e.message).toBe('lab.yaml: nodes.1: unknown key "ip": remove it or check the spelling');
  });

  it('wrong type', () => {
    const e = configError(edited('cpus: 1', 'cpus: one'));
    expect(e.message).toBe('lab.yaml: cpus: expected number, received string');
    const n = configError(edited('id: 2,', 'id: "2",'));
    expect(n.message).toBe('lab.yaml: nodes.1.id: expected number, received string');
  });

  it('bad profile enum value lists the valid ones', () => {
    const e = configError(edited('# profile: debian12-drbd84', 'profile: centos7'));
    expect(e.path).toBe('profile');
    expect(e.message).toContain('lab.yaml: profile: ');
    expect(e.message).toContain('"debian12-drbd84"');
    expect(e.message).toContain('"ubuntu1804-drbd9"');
  });

  it('IP outside replicationNetwork', () => {
    const e = configError(edited('replicationIp: 10.255.255.103', 'replicationIp: 10.255.254.103'));
    expect(e.message).toBe(
      'lab.yaml: nodes.2.replicationIp: 10.255.254.103 is outside replicationNetwork 10.255.255.0/24: pick an address inside it',
    );
  });

  it('an octet over 255', () => {
    const e = configError(edited('10.255.255.103', '10.255.255.300'));
    expect(e.message).toBe('lab.yaml: nodes.2.replicationIp: octets must be 0-255');
  });

  it('duplicate id, name and IP', () => {
    expect(configError(edited('id: 3', 'id: 2')).message).toBe(
      'lab.yaml: nodes.2.id: duplicate id 2 (also nodes.1): every node needs its own',
    );
    expect(configError(edited('name: drbd3', 'name: drbd2')).message).toBe(
      'lab.yaml: nodes.2.name: duplicate name drbd2 (also nodes.1): every node needs its own',
    );
    expect(configError(edited('replicationIp: 10.255.255.103', 'replicationIp: 10.255.255.101')).message).toBe(
      'lab.yaml: nodes.2.replicationIp: duplicate replicationIp 10.255.255.101 (also nodes.0): every node needs its own',
    );
  });

  it('missing required key, top level and in a node', () => {
    expect(configError(edited('cpus: 1\n', '')).message).toBe('lab.yaml: cpus: missing: add cpus (number)');
    expect(configError(edited('name: drbd2, ', '')).message).toBe(
      'lab.yaml: nodes.1.name: missing: add nodes.1.name (string)',
    );
  });

  it('invalid YAML names the line', () => {
    const e = configError(edited('cpus: 1', 'cpus: [1'));
    expect(e.message).toMatch(/^lab\.yaml: line \d+: not valid YAML \([A-Z_]+\): fix the syntax$/);
    expect(configError('a: 1\na: 2\n').message).toBe('lab.yaml: line 2: not valid YAML (DUPLICATE_KEY): fix the syntax');
  });

  it('fewer than 2 nodes', () => {
    const e = configError(edited(/ {2}- \{ name: drbd[23].*\n/g, ''));
    expect(e.message).toBe('lab.yaml: nodes: a DRBD lab needs at least two nodes');
  });

  it('an empty file reports the first missing key', () => {
    expect(configError('').message).toBe('lab.yaml: memoryMiB: missing: add memoryMiB (number)');
  });

  it('uses the file name it was given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drbdlab-lab-'));
    try {
      const file = join(dir, 'my-lab.yaml');
      await writeFile(file, edited('cpus: 1', 'cpus: 0'));
      await expect(loadLabConfig(file)).rejects.toThrow(`${file}: cpus: `);
      await expect(loadLabConfig(join(dir, 'absent.yaml'))).rejects.toThrow(
        `${join(dir, 'absent.yaml')}: cannot read the lab definition: pass --config <file> or create lab/lab.yaml`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('inCidr / prefixLength', () => {
  it.each([
    ['10.255.255.101', '10.255.255.0/24', true],
    ['10.255.254.101', '10.255.255.0/24', false],
    ['192.168.1.200', '192.168.1.128/25', true],
    ['192.168.1.127', '192.168.1.128/25', false],
    ['255.255.255.255', '255.255.255.0/24', true], // high bit set: no sign trouble
    ['10.0.0.1', '10.0.0.1/32', true],
    ['10.0.0.2', '10.0.0.1/32', false],
    ['8.8.8.8', '0.0.0.0/0', true],
  ])('%s in %s is %s', (ip, cidr, expected) => {
    expect(inCidr(ip, cidr)).toBe(expected);
  });

  it('prefixLength', () => {
    expect(prefixLength('10.255.255.0/24')).toBe(24);
    expect(prefixLength('10.0.0.0/8')).toBe(8);
    expect(prefixLength('0.0.0.0/0')).toBe(0);
  });
});
