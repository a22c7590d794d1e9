import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const TEMPLATE_DIR = fileURLToPath(new URL('../../lab/cloud-init/', import.meta.url));

export interface SeedInputs {
  hostname: string;
  instanceId: string;
  user: string;
  authorizedKey: string;
  hostKeyPrivate: string;
  hostKeyPublic: string;
  mgmtMac: string;
  mgmtAddress: string; // CIDR
  replMac: string;
  replAddress: string; // CIDR
  hosts: { ip: string; name: string }[];
  /** Extra cloud-config merged in (profile provisioning, e.g. the walkthrough's apt steps). */
  extraUserData?: Record<string, unknown>;
}

export interface SeedFiles {
  'user-data': string;
  'meta-data': string;
  'network-config': string;
}

export interface Templates {
  userData: string;
  metaData: string;
  networkConfig: string;
}

export async function loadTemplates(dir = TEMPLATE_DIR): Promise<Templates> {
  const [userData, metaData, networkConfig] = await Promise.all(
    ['user-data.yaml', 'meta-data.yaml', 'network-config.yaml'].map((f) => readFile(`${dir}/${f}`, 'utf8')),
  );
  return { userData: userData!, metaData: metaData!, networkConfig: networkConfig! };
}

/** /etc/hosts exactly as the walkthrough writes it. */
export function renderEtcHosts(hosts: { ip: string; name: string }[]): string {
  return [
    '127.0.0.1 localhost.localdomain localhost',
    '::1 localhost6.localdomain6 localhost6',
    ...hosts.map((h) => `${h.ip} ${h.name}`),
    '',
  ].join('\n');
}

/** Render the three NoCloud files for one node. Pure: same inputs, same bytes. */
export function renderSeed(t: Templates, inputs: SeedInputs): SeedFiles {
  const values: Record<string, string> = {
    hostname: inputs.hostname,
    instanceId: inputs.instanceId,
    user: inputs.user,
    authorizedKey: inputs.authorizedKey.trim(),
    hostKeyPrivate: inputs.hostKeyPrivate,
    hostKeyPublic: inputs.hostKeyPublic.trim(),
    mgmtMac: inputs.mgmtMac,
    mgmtAddress: inputs.mgmtAddress,
    replMac: inputs.replMac,
    replAddress: inputs.replAddress,
    etcHosts: renderEtcHosts(inputs.hosts),
  };
  const userData = fill(parse(t.userData), values, 'user-data') as Record<string, unknown>;
  if (inputs.extraUserData) mergeCloudConfig(userData, inputs.extraUserData);
  // cloud-init reads YAML 1.1 (PyYAML): emit for it, so strings such as the MAC 52:54:00:00:01:01
  // (a base-60 integer in 1.1), 0644, yes or on come out quoted and stay strings.
  const yaml11 = { version: '1.1', lineWidth: 0 } as const;
  return {
    'user-data': `#cloud-config\n${stringify(userData, yaml11)}`,
    'meta-data': stringify(fill(parse(t.metaData), values, 'meta-data'), yaml11),
    'network-config': stringify(fill(parse(t.networkConfig), values, 'network-config'), yaml11),
  };
}

/** Lists concatenate (write_files, runcmd, packages), maps merge, scalars are replaced. */
export function mergeCloudConfig(base: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(extra)) {
    const cur = base[k];
    if (Array.isArray(cur) && Array.isArray(v)) base[k] = [...cur, ...v];
    else if (isPlainObject(cur) && isPlainObject(v)) mergeCloudConfig(cur, v);
    else base[k] = v;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Replace ${name} in string values of a parsed template; unknown names are an error. */
function fill(node: unknown, values: Record<string, string>, file: string): unknown {
  if (typeof node === 'string') {
    return node.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      const v = values[name];
      if (v === undefined) throw new Error(`cloud-init template ${file}: unknown placeholder \${${name}}`);
      return v;
    });
  }
  if (Array.isArray(node)) return node.map((n) => fill(n, values, file));
  if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v, values, file)]));
  return node;
}
