// `crm_mon -1 --output-as=xml` (Pacemaker 2.1) read into what the scenario asks of the cluster:
// who is DC, quorum, which nodes are online, where each resource runs and in which role.
import { create } from 'xmlbuilder2';
import { PacemakerParseError } from './parse-error.js';

export interface CrmNode {
  name: string;
  online: boolean;
  unclean: boolean;
}

export interface CrmResource {
  id: string;
  agent: string;
  /** Pacemaker 2.1 says Promoted/Unpromoted (older: Master/Slave); normalised to the new names. */
  role: string;
  active: boolean;
  failed: boolean;
  /** Where it runs (empty when stopped). */
  nodes: string[];
  /** The clone it is an instance of, if any. */
  clone?: string;
}

export interface CrmFailure {
  opKey: string;
  node: string;
  exitReason: string;
  exitStatus: string;
}

export interface CrmStatus {
  dc?: string;
  quorate: boolean;
  nodes: CrmNode[];
  resources: CrmResource[];
  failures: CrmFailure[];
}

type XmlObject = { [k: string]: unknown };
const ROLE: Record<string, string> = { Master: 'Promoted', Slave: 'Unpromoted' };

const asArray = (v: unknown): XmlObject[] => (v === undefined ? [] : Array.isArray(v) ? (v as XmlObject[]) : [v as XmlObject]);
const bool = (o: XmlObject, k: string) => o[`@${k}`] === 'true';
function attr(o: XmlObject, k: string, where: string): string {
  const v = o[`@${k}`];
  if (typeof v !== 'string') throw new PacemakerParseError('crm_mon', `${where} has no ${k} attribute`);
  return v;
}

function resource(o: XmlObject, clone?: string): CrmResource {
  const id = attr(o, 'id', 'a resource');
  const role = attr(o, 'role', `resource ${id}`);
  return {
    id,
    agent: attr(o, 'resource_agent', `resource ${id}`),
    role: ROLE[role] ?? role,
    active: bool(o, 'active'),
    failed: bool(o, 'failed'),
    nodes: asArray(o.node).map((n) => attr(n, 'name', `resource ${id}'s node`)),
    ...(clone ? { clone } : {}),
  };
}

export function parseCrmMon(xml: string): CrmStatus {
  let doc: XmlObject;
  try {
    doc = create(xml).end({ format: 'object' }) as XmlObject;
  } catch (err) {
    throw new PacemakerParseError('crm_mon', `not XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const root = doc['pacemaker-result'] as XmlObject | undefined;
  if (!root || typeof root !== 'object') throw new PacemakerParseError('crm_mon', 'no <pacemaker-result> element (was it run with --output-as=xml?)');
  const status = root.status as XmlObject | undefined;
  if (status && status['@code'] !== '0') throw new PacemakerParseError('crm_mon', `status ${String(status['@code'])}: ${String(status['@message'] ?? '')}`);
  const summary = root.summary as XmlObject | undefined;
  if (!summary) throw new PacemakerParseError('crm_mon', 'no <summary> (not a cluster status)');
  const dc = summary.current_dc as XmlObject | undefined;
  const nodes = asArray((root.nodes as XmlObject | undefined)?.node).map((n) => ({
    name: attr(n, 'name', 'a node'),
    online: bool(n, 'online'),
    unclean: bool(n, 'unclean'),
  }));
  const resources: CrmResource[] = [];
  const groups = (root.resources as XmlObject | undefined) ?? {};
  for (const r of asArray(groups.resource)) resources.push(resource(r));
  for (const c of asArray(groups.clone)) {
    const cloneId = attr(c, 'id', 'a clone');
    for (const r of asArray(c.resource)) resources.push(resource(r, cloneId));
  }
  for (const g of asArray(groups.group)) for (const r of asArray(g.resource)) resources.push(resource(r));
  const failures = asArray((root.failures as XmlObject | undefined)?.failure).map((f) => ({
    opKey: attr(f, 'op_key', 'a failure'),
    node: attr(f, 'node', 'a failure'),
    exitReason: typeof f['@exitreason'] === 'string' ? (f['@exitreason'] as string) : '',
    exitStatus: typeof f['@exitstatus'] === 'string' ? (f['@exitstatus'] as string) : '',
  }));
  return {
    ...(dc && dc['@present'] === 'true' ? { dc: attr(dc, 'name', '<current_dc>') } : {}),
    quorate: dc?.['@with_quorum'] === 'true',
    nodes,
    resources,
    failures,
  };
}

/** Nodes where the clone's instances run promoted. */
export function promotedOn(s: CrmStatus, clone: string): string[] {
  return s.resources.filter((r) => r.clone === clone && r.role === 'Promoted' && r.active).flatMap((r) => r.nodes);
}

/** Nodes where a clone's instances run (any role). */
export function cloneRunningOn(s: CrmStatus, clone: string): { node: string; role: string }[] {
  return s.resources.filter((r) => r.clone === clone && r.active).flatMap((r) => r.nodes.map((node) => ({ node, role: r.role })));
}

/** Nodes where a primitive runs started. */
export function startedOn(s: CrmStatus, id: string): string[] {
  return s.resources.filter((r) => r.id === id && r.role === 'Started' && r.active).flatMap((r) => r.nodes);
}

/** One line of what crm_mon shows, for wait messages. */
export function describeCrm(s: CrmStatus): string {
  const nodes = s.nodes.map((n) => `${n.name}:${n.unclean ? 'UNCLEAN' : n.online ? 'online' : 'offline'}`).join(' ');
  const res = s.resources.map((r) => `${r.id}${r.clone ? `(${r.clone})` : ''} ${r.role}${r.nodes.length ? `@${r.nodes.join(',')}` : ''}${r.failed ? ' FAILED' : ''}`).join('; ');
  const fails = s.failures.length ? `; failures: ${s.failures.map((f) => `${f.opKey}@${f.node}${f.exitReason ? ` (${f.exitReason})` : ''}`).join(', ')}` : '';
  return `dc ${s.dc ?? 'none'}, ${s.quorate ? 'quorate' : 'NO QUORUM'}; ${nodes}; ${res}${fails}`;
}
