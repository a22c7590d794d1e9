import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { labSchema, type LabConfig } from './lab-schema.js';

/** Parse and validate lab.yaml text; the first problem becomes a one-line ConfigError. */
export function parseLabConfig(text: string, file = 'lab.yaml'): LabConfig {
  // prettyErrors fills e.linePos (the line number below); only e.code is used, not its message.
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}` : '';
    throw new ConfigError(file, where, `not valid YAML (${e.code}): fix the syntax`);
  }
  const result = labSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw toConfigError(file, result.error);
  return result.data;
}

export async function loadLabConfig(file: string): Promise<LabConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(file, '', 'cannot read the lab definition: pass --config <file> or create lab/lab.yaml');
  }
  return parseLabConfig(text, file);
}

function toConfigError(file: string, error: z.ZodError): ConfigError {
  // zod lists missing keys before unknown ones; a typo (memoryMib) should be reported as the typo.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0]!;
  const path = issue.path.map(String).join('.');
  let problem = issue.message;
  if (issue.code === 'unrecognized_keys') {
    problem = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
  } else if (issue.code === 'invalid_type') {
    problem = `${issue.message.replace(/^Invalid input: /, '')}`;
    if (/received undefined/.test(issue.message)) problem = `missing: add ${path || 'it'} (${issue.expected})`;
  } else if (issue.code === 'invalid_value') {
    problem = `${issue.message.replace(/^Invalid option: /, '')}`;
  }
  return new ConfigError(file, path, problem);
}
