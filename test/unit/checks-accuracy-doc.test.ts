/**
 * docs/accuracy.md stays true to the code: every check it names is a built-in
 * check, every lab case it names is a case of test/e2e/accuracy.test.ts, every
 * row says what predicts it and what proves it (or why nothing does), and the
 * counts line is the table's own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';

const doc = readFileSync(new URL('../../docs/accuracy.md', import.meta.url), 'utf8');
const suite = readFileSync(new URL('../e2e/accuracy.test.ts', import.meta.url), 'utf8');

interface Row {
  id: string;
  predictedBy: string;
  provenBy: string;
}

/** The refusal rows: `| A1 | refusal | predicted by | proven by | 10.x / 11.x |`. */
function rows(): Row[] {
  return doc
    .split('\n')
    .filter((l) => /^\| [A-Z]\d+ \|/.test(l))
    .map((l) => {
      // Split on cell bars, not on the escaped or backticked ones inside cells.
      const cells = l.split(/ \| /);
      return { id: cells[0]!.replace('| ', ''), predictedBy: cells[2] ?? '', provenBy: cells[3] ?? '' };
    });
}

/** Whether `label` is a whole string literal of the suite (a case's label, in any quotes). */
function isStringLiteralOfSuite(label: string): boolean {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(['"\`])${escaped}\\1`).test(suite);
}

const checkNames = new Set(builtinChecks.map((c) => c.name));
const namedChecks = (cell: string) => [...cell.matchAll(/`([a-z]+\.[a-z-]+)`/g)].map((m) => m[1]!);
const labCases = (cell: string) => [...cell.matchAll(/lab: "([^"]+)"/g)].map((m) => m[1]!);

describe('docs/accuracy.md', () => {
  it('has unique row ids and five cells a row', () => {
    const ids = rows().map((r) => r.id);
    expect(ids.length).toBeGreaterThan(40);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of rows()) expect(r.provenBy, r.id).not.toBe('');
  });

  it('names only built-in checks', () => {
    const named = rows().flatMap((r) => namedChecks(r.predictedBy));
    expect(named.length).toBeGreaterThan(20);
    for (const name of named) expect(checkNames, name).toContain(name);
  });

  it('names only lab cases the accuracy suite has, and says why where none proves a row', () => {
    for (const r of rows()) {
      const cases = labCases(r.provenBy);
      if (cases.length === 0) expect(r.provenBy, r.id).toMatch(/^not covered/);
      // A case label is a string literal of the suite.
      for (const c of cases) expect(isStringLiteralOfSuite(c), `${r.id}: lab case "${c}"`).toBe(true);
      if (!namedChecks(r.predictedBy).length) expect(r.predictedBy, r.id).toMatch(/^not (covered|applicable)/);
    }
  });

  it('counts its rows right', () => {
    const all = rows();
    const proven = all.filter((r) => labCases(r.provenBy).length > 0).length;
    const predicted = all.filter(
      (r) => namedChecks(r.predictedBy).length > 0 && labCases(r.provenBy).length === 0,
    ).length;
    const unpredicted = all.filter((r) => namedChecks(r.predictedBy).length === 0).length;
    expect(doc).toContain(
      `Rows: ${all.length}. Proven against a real migration in the lab: ${proven}. ` +
        `Predicted by a check, not provable in the lab: ${predicted}. Predicted by no check: ${unpredicted}.`,
    );
  });
});
