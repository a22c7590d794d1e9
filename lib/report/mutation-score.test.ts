import { describe, expect, it } from 'vitest';
import { checkSurvivors, moduleOf, scoresByModule, survivorsOf, textAt, type ListedSurvivor, type MutantResult, type MutationReport } from './mutation-score.js';

// Synthetic reports in the shape Stryker's json reporter writes (mutation-testing-report-schema).
const SOURCE = "const a = 'x';\nif (n > 0) return 'nothing yet';\nreturn 'nothing yet';\n";

let id = 0;
const mutant = (status: MutantResult['status'], mutatorName: string, replacement: string, line: number, column: number, endColumn: number): MutantResult => ({
  id: String(++id),
  mutatorName,
  replacement,
  status,
  location: { start: { line, column }, end: { line, column: endColumn } },
});

const report = (files: MutationReport['files']): MutationReport => ({ files });

describe('moduleOf', () => {
  it('puts a file in its verdict module; classify.ts alone of lib/report; other files nowhere', () => {
    expect(moduleOf('lib/wait/poll.ts')).toBe('lib/wait');
    expect(moduleOf('scenarios/steps/drbdadm/walkthrough.ts')).toBe('scenarios/steps');
    expect(moduleOf('lib/report/classify.ts')).toBe('lib/report/classify.ts');
    expect(moduleOf('lib/report/merge.ts')).toBeNull();
    expect(moduleOf('lib/drbdx/a.ts')).toBeNull();
    expect(moduleOf('./lib/drbd/text.ts')).toBe('lib/drbd');
  });
});

describe('scoresByModule', () => {
  it("counts per module and scores (killed + timeout) over all that ran, as Stryker's mutation score", () => {
    const r = report({
      'lib/wait/poll.ts': {
        source: SOURCE,
        mutants: [
          mutant('Killed', 'StringLiteral', '""', 1, 11, 14),
          mutant('Killed', 'EqualityOperator', 'n >= 0', 2, 5, 10),
          mutant('Timeout', 'ConditionalExpression', 'true', 2, 5, 10),
          mutant('Survived', 'StringLiteral', '""', 2, 19, 32),
          mutant('NoCoverage', 'StringLiteral', '""', 3, 8, 21),
          mutant('CompileError', 'StringLiteral', '""', 3, 8, 21),
          mutant('Ignored', 'StringLiteral', '""', 3, 8, 21),
        ],
      },
      'lib/wait/transient.ts': { source: '', mutants: [mutant('Killed', 'BooleanLiteral', 'false', 1, 1, 5)] },
      'lib/report/classify.ts': { source: '', mutants: [] },
      'lib/report/merge.ts': { source: '', mutants: [mutant('Survived', 'BooleanLiteral', 'false', 1, 1, 5)] },
    });
    expect(scoresByModule(r)).toEqual({
      // 4 detected of 6 valid; the compile error and the ignored one left out.
      'lib/wait': { score: 66.67, killed: 3, timeout: 1, survived: 1, noCoverage: 1, other: 2, files: 2 },
      'lib/report/classify.ts': { score: null, killed: 0, timeout: 0, survived: 0, noCoverage: 0, other: 0, files: 1 },
    });
  });
});

describe('survivors', () => {
  it('textAt reads 1-based line/column ranges, across lines too', () => {
    expect(textAt(SOURCE, { line: 2, column: 19 }, { line: 2, column: 32 })).toBe("'nothing yet'");
    expect(textAt(SOURCE, { line: 1, column: 11 }, { line: 2, column: 3 })).toBe("'x';\nif");
  });

  const r = report({
    'lib/wait/poll.ts': {
      source: SOURCE,
      mutants: [
        mutant('Killed', 'StringLiteral', '""', 1, 11, 14),
        mutant('Survived', 'StringLiteral', '""', 2, 19, 32),
        mutant('NoCoverage', 'StringLiteral', '""', 3, 8, 21),
      ],
    },
  });
  const entry = (line: number, reason = 'wording'): ListedSurvivor => ({ file: 'lib/wait/poll.ts', line, mutator: 'StringLiteral', original: "'nothing yet'", replacement: '""', reason });

  it('survivorsOf: Survived and NoCoverage, with the text they replace', () => {
    expect(survivorsOf(r)).toEqual([
      { file: 'lib/wait/poll.ts', line: 2, mutator: 'StringLiteral', original: "'nothing yet'", replacement: '""', status: 'Survived' },
      { file: 'lib/wait/poll.ts', line: 3, mutator: 'StringLiteral', original: "'nothing yet'", replacement: '""', status: 'NoCoverage' },
    ]);
  });

  it('every survivor listed: nothing unlisted, nothing stale; lines may have moved', () => {
    expect(checkSurvivors(r, [entry(12), entry(13)])).toEqual({ unlisted: [], stale: [], listed: 2 });
  });

  it('a survivor without an entry is unlisted; two identical mutants need two entries', () => {
    const c = checkSurvivors(r, [entry(3)]);
    expect(c.listed).toBe(1);
    // The entry pairs with the nearest line; the other one is the hole.
    expect(c.unlisted).toMatchObject([{ line: 2, status: 'Survived' }]);
  });

  it('an entry that matches nothing in a file the report has is stale; other files are not judged', () => {
    const killed = { ...entry(1), original: "'x'" };
    const elsewhere = { ...entry(1), file: 'lib/drbd/text.ts' };
    const c = checkSurvivors(r, [entry(2), entry(3), killed, elsewhere]);
    expect(c.stale).toEqual([killed]);
    expect(c.unlisted).toEqual([]);
  });

  it('a different replacement or mutator is a different mutant', () => {
    const c = checkSurvivors(r, [{ ...entry(2), replacement: '"Stryker was here!"' }, { ...entry(3), mutator: 'Regex' }]);
    expect(c.unlisted).toHaveLength(2);
    expect(c.stale).toHaveLength(2);
  });
});
