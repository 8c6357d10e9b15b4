/**
 * What `pmc` loads before it can answer: `--version` and the listing of the
 * built-ins need no addon, so they work with PMC_ADDON pointing nowhere (the
 * loader then tries that path alone); a check file does need it, which shows
 * the variable is honoured. `pmc checks` lists the built-ins from their
 * generated listing (src/cli/builtin-listing.ts), without loading their
 * modules. Wall times are in README's Performance section
 * (bench/startup.bench.mjs).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listChecks } from '../../src/list-checks.js';
import { pmcMain, startPmc } from '../helpers/cli.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NO_ADDON = { PMC_ADDON: '/nonexistent/pmc.node' };
const run = (args: string[]) => startPmc(args, NO_ADDON).done;

/**
 * The modules of dist/ that `pmc …args` runs. The command is one bundle (scripts/bundle.mjs): esbuild
 * wraps each module it bundles in a function named by its path (`"dist/checks/cpu.js"() {…}`), run when
 * the module is first imported, so V8's function coverage of the bundle says which modules ran.
 */
function distModulesRun(args: string[], coverageDir: string): string[] {
  const r = spawnSync(process.execPath, [pmcMain, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_V8_COVERAGE: coverageDir },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const bundle = readdirSync(coverageDir)
    .flatMap((f) => (JSON.parse(readFileSync(path.join(coverageDir, f), 'utf8')) as V8Coverage).result)
    .find((script) => script.url === pathToFileURL(pmcMain).href);
  expect(bundle, 'dist/cli/main.js is one bundle (npm run build:ts)').toBeDefined();
  const modules = bundle!.functions.filter((fn) => fn.functionName.startsWith('dist/'));
  expect(modules.length).toBeGreaterThan(50); // a bundle, not tsc's main.js alone
  return modules.filter((fn) => fn.ranges[0]!.count > 0).map((fn) => fn.functionName.slice('dist/'.length));
}

interface V8Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

describe('pmc start-up', () => {
  const tmp = useTempDirPerTest('pmc-startup-');

  it('pmc --version loads no addon', async () => {
    const r = await run(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.code).toBe(0);
  });

  it('pmc checks lists the built-ins without loading the addon', async () => {
    const r = await run(['checks', '--json']);
    expect(r.stderr).toBe('');
    const names = (JSON.parse(r.stdout) as { name: string }[]).map((c) => c.name);
    expect(names).toContain('cpu.compatible');
    expect(r.code).toBe(0);
  });

  it('pmc checks runs none of the check definitions, nor the framework, binding or option table', () => {
    const run = distModulesRun(['checks', '--json'], path.join(tmp.path, 'coverage'));
    expect(run).toContain('cli/commands/checks.js');
    expect(run.filter((m) => /^(checks|pmc|binding|model|options)\//.test(m) || m === 'list-checks.js')).toEqual([]);
  });

  it('pmc checks --json lists what listChecks() lists (src/cli/builtin-listing.ts is not stale)', async () => {
    const r = await run(['checks', '--json']);
    const expected = listChecks().map((c) => ({ anchor: null, remedy: null, ...c }));
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it('src/cli/builtin-listing.ts is what its script writes (run `npm run docs:checks`)', async () => {
    const script = path.join(root, 'scripts/gen-checks-listing.mjs');
    const { renderBuiltinListing } = (await import(script)) as { renderBuiltinListing: (l: unknown) => string };
    expect(readFileSync(path.join(root, 'src/cli/builtin-listing.ts'), 'utf8')).toBe(
      renderBuiltinListing(listChecks()),
    );
  });

  it('pmc checks --checks-file does load it (and says so when it is missing)', async () => {
    const r = await run(['checks', '--checks-file', 'examples/checks/site-rules.xml']);
    expect(r.stderr).toMatch(/native addon is not built \(looked for \/nonexistent\/pmc\.node\)/);
    expect(r.code).toBe(1);
  });

  it('--help still lists every command, although none is loaded for --version', async () => {
    const r = await run(['--help']);
    for (const command of ['migrate', 'check', 'checks', 'demo', 'lab'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${command} `));
  });
});
