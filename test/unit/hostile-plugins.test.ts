/**
 * Hostile and careless plugins (issue 11, items 3 and 12): a check that never
 * returns cannot stall a run past its timeout nor a Ctrl-C/SIGTERM; as root,
 * a plugin anyone else could have changed is refused; one file is one plugin.
 */
import { chmodSync, chownSync, copyFileSync, linkSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckLoadError, listChecks, loadPlugin } from '../../src/index.js';
import { parseReport, runPmc, startPmc } from '../helpers/cli.js';
import { loadRejection } from '../helpers/errors.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';
import { fixturePluginPath, pluginBuildDir } from '../helpers/plugins.js';

const hangs = fixturePluginPath('hangs');
const asRoot = process.getuid?.() === 0;

const loadError = (file: string): Promise<CheckLoadError> => loadRejection(loadPlugin(file), file);

describe('a plugin that calls exit(0) during a run (issue 19)', () => {
  it('makes pmc exit 1 with a message, never 0 ("allowed")', async () => {
    for (const json of [[], ['--json']]) {
      const { code, signal, stderr } = await runPmc([
        '-c',
        fixtureUri('host-a'),
        'check',
        ...json,
        '--plugin',
        fixturePluginPath('exits'),
        'guest1',
        fixtureUri('host-b'),
      ]);
      expect([code, signal]).toEqual([1, null]);
      expect(stderr).toMatch(/pmc: error: native code \(a plugin\) ended the process during the run/);
    }
  });

  it("pmc's own exits keep their codes with a plugin loaded (2: blocked; 1: an error)", async () => {
    const run = (args: string[]) =>
      runPmc(['-c', fixtureUri('host-a'), 'check', '--plugin', fixturePluginPath('behaviours'), ...args]);
    expect((await run(['guest1', fixtureUri('host-b')])).code).toBe(2);
    const missing = await run(['no-such-guest', fixtureUri('host-b')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).not.toMatch(/native code/);
  });
});

describe('a plugin check that never returns (item 3)', () => {
  const hosts = useRunHosts();

  it('is timed out and abandoned although it did not ask for a worker thread', async () => {
    const plugin = await loadPlugin(hangs);
    const started = performance.now();
    const report = await hosts.guest1.checkPMC(hosts.destination, {
      noBuiltins: true,
      plugins: [plugin],
      timeoutMs: 300,
    });
    expect(performance.now() - started).toBeLessThan(800);
    expect(report.checks[0]).toMatchObject({
      name: 'hangs.forever',
      status: 'error',
      message: 'timed out after 300 ms',
    });
    expect(report.verdict).toBe('blocked');
  });

  it('pmc check --check-timeout 2000 ends at the timeout with that check in error (exit 2)', async () => {
    const started = performance.now();
    const { code, stdout } = await runPmc([
      '-c',
      fixtureUri('host-a'),
      'check',
      '--json',
      '--plugin',
      hangs,
      '--check-timeout',
      '2000',
      'guest1',
      fixtureUri('host-b'),
    ]);
    const took = performance.now() - started;
    expect(code).toBe(2);
    const report = parseReport<{ checks: { name: string; status: string; message: string }[] }>(stdout);
    expect(report.checks.find((c) => c.name === 'hangs.forever')).toMatchObject({
      status: 'error',
      message: 'timed out after 2000 ms',
    });
    expect(took).toBeLessThan(2000 + 2500); // the timeout, plus starting node and connecting on a busy machine
  });

  it('one SIGTERM during the checks ends pmc within a second with exit 130', async () => {
    const run = startPmc([
      '-c',
      fixtureUri('host-a'),
      'check',
      '--plugin',
      hangs,
      '--check-timeout',
      '60000',
      'guest1',
      fixtureUri('host-b'),
    ]);
    await run.waitForOutput(/hangs\.forever: started/, 20_000);
    const signalled = performance.now();
    run.child.kill('SIGTERM');
    const { code, signal } = await run.done;
    expect(signal).toBeNull();
    expect(code).toBe(130);
    expect(performance.now() - signalled).toBeLessThan(1000);
  });
});

describe.runIf(asRoot)('as root: plugins others could have changed are refused (item 12)', () => {
  const dir = path.join(pluginBuildDir, `hostile-${process.pid}`);
  const behaviours = fixturePluginPath('behaviours');
  beforeAll(() => mkdirSync(dir, { recursive: true, mode: 0o755 }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function copy(name: string, mode: number, into = dir): string {
    const file = path.join(into, name);
    copyFileSync(behaviours, file);
    chmodSync(file, mode);
    return file;
  }

  it('refuses a file writable by others or by its group', async () => {
    for (const [name, mode, who] of [
      ['world.so', 0o777, 'others'],
      ['group.so', 0o775, 'its group'],
    ] as const) {
      const e = await loadError(copy(name, mode));
      expect(e.code).toBe('ERR_PMC_PLUGIN_UNSAFE');
      expect(e.message).toContain(`refused to load as root: the file ${path.join(dir, name)} is writable by ${who}`);
    }
  });

  it('refuses a safe file in a sticky world-writable directory', async () => {
    const sticky = path.join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const e = await loadError(copy('in-sticky.so', 0o755, sticky));
    expect(e.code).toBe('ERR_PMC_PLUGIN_UNSAFE');
    expect(e.message).toContain(`the directory ${sticky} is writable by others (mode 1777)`);
  });

  it("loads a safe file in a root-owned directory below a sticky one (a checkout under /tmp), refuses it if that directory is not root's", async () => {
    const sticky = path.join(dir, 'sticky-above');
    const own = path.join(sticky, 'roots');
    mkdirSync(own, { recursive: true, mode: 0o755 });
    chmodSync(sticky, 0o1777);
    const file = copy('below-sticky.so', 0o755, own);
    expect((await loadPlugin(file)).path).toBe(file);
    chownSync(own, 1000, 1000);
    const e = await loadError(copy('below-sticky-2.so', 0o755, own));
    expect(e.code).toBe('ERR_PMC_PLUGIN_UNSAFE');
    expect(e.message).toContain(`the directory ${own} is owned by uid 1000, not root`);
  });

  it('refuses a file owned by another user, also when reached through a symlink', async () => {
    const file = copy('owned.so', 0o755);
    chownSync(file, 1000, 1000);
    const link = path.join(dir, 'owned-link.so');
    symlinkSync(file, link);
    for (const p of [file, link]) {
      const e = await loadError(p);
      expect(e.code).toBe('ERR_PMC_PLUGIN_UNSAFE');
      expect(e.message).toContain(`the file ${file} is owned by uid 1000, not root`);
    }
  });
});

describe('one file, one plugin; valid names (item 12)', () => {
  it('the same file twice, through a symlink and a hard link, is one plugin in a run', async () => {
    const dir = path.join(pluginBuildDir, `same-${process.pid}`);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    try {
      const file = fixturePluginPath('behaviours');
      const link = path.join(dir, 'link.so');
      const hard = path.join(dir, 'hard.so');
      symlinkSync(file, link);
      linkSync(file, hard);
      const plugins = [await loadPlugin(file), await loadPlugin(file), await loadPlugin(link), await loadPlugin(hard)];
      const names = listChecks({ noBuiltins: true, plugins }).map((c) => c.name);
      expect(names).toEqual(plugins[0]!.checks.map((c) => c.name));
      expect(new Set(names).size).toBe(names.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a check name ending in a dot', async () => {
    const e = await loadError(fixturePluginPath('trailing-dot'));
    expect(e.code).toBe('ERR_PMC_PLUGIN_INVALID');
    expect(e.message).toMatch(/check #0: the name must be parts of \[A-Za-z0-9_-\] joined by single dots, not 'bad\.'/);
  });
});
