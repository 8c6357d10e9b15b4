import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The native check runner will evaluate XPath on its own threads: this builds
// the XML core without Node into a small program that does so from 4 threads.
describe('the XML core off the JS thread', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmc-xpath-threads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates over one shared document from several threads', () => {
    const pkg = (flag: string) => execFileSync('pkg-config', [flag, 'libxml-2.0'], { encoding: 'utf8' }).trim().split(/\s+/);
    const binary = path.join(dir, 'xpath_threads');
    const cxx = path.join(root, 'native', 'cxx');
    execFileSync('g++', [
      '-std=c++17', '-O1', '-Wall', `-I${cxx}`, ...pkg('--cflags'),
      path.join(root, 'test', 'native', 'xpath_threads.cc'),
      ...['xml_parser.cc', 'xml_failure.cc', 'xpath_eval.cc'].map((f) => path.join(cxx, f)),
      ...pkg('--libs'), '-lpthread', '-o', binary,
    ]);
    const run = spawnSync(binary, { encoding: 'utf8', timeout: 50_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('failures: 0\n');
    expect(run.status).toBe(0);
  });
});
