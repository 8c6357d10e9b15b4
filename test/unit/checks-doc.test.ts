/** docs/checks.md is generated from the definitions; this fails when someone forgot `npm run docs:checks`. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderChecksDoc } from '../../src/checks/doc.js';
import { builtinChecks } from '../../src/checks/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('docs/checks.md', () => {
  it('is up to date with the check definitions (run `npm run docs:checks`)', () => {
    expect(readFileSync(path.join(root, 'docs/checks.md'), 'utf8')).toBe(renderChecksDoc(builtinChecks));
  });

  it('documents every check with severity, description, anchor and remedy', () => {
    const names = new Set<string>();
    for (const c of builtinChecks) {
      expect(c.name).toMatch(/^[a-z]+\.[a-z-]+$/);
      expect(names.has(c.name)).toBe(false);
      names.add(c.name);
      expect(c.description.length, c.name).toBeGreaterThan(20);
      expect(c.anchor, c.name).toBeTruthy();
      expect(c.remedy, c.name).toBeTruthy();
    }
  });
});
