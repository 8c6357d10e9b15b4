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
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listChecks } from '../../src/list-checks.js';
import { pmcMain, startPmc } from '../helpers/cli.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NO_ADDON = { PMC_ADDON: '/nonexistent/pmc.node' };
const run = (args: string[]) => startPmc(args, NO_ADDON).done;

/** The modules of dist/ that `pmc …args` loads, in the order it resolved them (a module-resolution hook logs each). */
function distModulesLoaded(args: string[], log: string): string[] {
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');
  return resolved;
}`;
  const register = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const r = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(register)}`, pmcMain, ...args],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const distUrl = `file://${path.join(root, 'dist')}/`;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith(distUrl))
    .map((url) => url.slice(distUrl.length));
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

  it('pmc checks loads none of the check definitions, nor the framework, binding or option table', () => {
    const loaded = distModulesLoaded(['checks', '--json'], path.join(tmp.path, 'loaded'));
    expect(loaded).toContain('cli/commands/checks.js');
    expect(loaded.filter((m) => /^(checks|pmc|binding|model|options)\//.test(m) || m === 'list-checks.js')).toEqual([]);
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
