// Fixtures (lib/drbd/fixtures/README.md): *.real.* verbatim from our recordings on VMs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandErrorLines, notDefinedForThisHost } from './drbdadm-messages.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('commandErrorLines', () => {
  it("drops sudo's name-lookup notice of a renamed host: what is left is drbdadm's refusal, as notDefinedForThisHost says it", () => {
    expect(commandErrorLines(fixture('drbdadm-status-84-not-defined-renamed.real.stderr.txt'))).toEqual([notDefinedForThisHost('r0')]);
  });

  it('keeps every line of a command that said more, trimmed, without blank lines', () => {
    expect(commandErrorLines(fixture('drbdadm-cstate-84-minor-not-allocated.real.stderr.txt'))).toEqual([
      '100: Failure: (127) Device minor not allocated',
      'additional info from kernel:',
      'unknown minor',
      "Command 'drbdsetup-84 cstate 100' terminated with exit code 10",
    ]);
    expect(commandErrorLines('\n  r0: No such resource  \n\n')).toEqual(['r0: No such resource']);
    expect(commandErrorLines('')).toEqual([]);
  });

  it("drops only sudo's notice: the same words elsewhere on a line, or another sudo complaint, stay", () => {
    const notice = 'sudo: unable to resolve host drbd2x: Name or service not known';
    expect(commandErrorLines(`  ${notice}\nr0: No such resource\n`)).toEqual(['r0: No such resource']);
    expect(commandErrorLines(`drbdadm: ${notice}`)).toEqual([`drbdadm: ${notice}`]);
    expect(commandErrorLines('sudo: unable to resolve host: no name')).toEqual(['sudo: unable to resolve host: no name']);
    expect(commandErrorLines('sudo: a password is required')).toEqual(['sudo: a password is required']);
  });
});
