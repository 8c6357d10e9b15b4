import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckLoadError, listChecks, loadPlugin, type Domain, type Plugin } from '../../src/index.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';
import { loadRejection } from '../helpers/errors.js';
import { examplePluginPath, fixturePluginPath, fixturePluginSources } from '../helpers/plugins.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function loadError(file: string): Promise<CheckLoadError> {
  const error = await loadRejection(loadPlugin(file), file);
  expect(error.message.startsWith(path.resolve(file))).toBe(true);
  return error;
}

describe('native plugins: loading', () => {
  it('loads the example plugin (built with its CMakeLists.txt) and lists its checks', async () => {
    const site = await loadPlugin(examplePluginPath);
    expect(site).toMatchObject({
      name: 'site',
      version: '1.0',
      description: 'Example site rules',
      facts: ['dstHostname'],
    });
    expect(listChecks({ noBuiltins: true, plugins: [site] })).toEqual([
      {
        name: 'site.vcpus-fit',
        severity: 'critical',
        description: 'The destination host has at least as many CPUs as the guest has vCPUs',
        origin: 'plugin:site',
        anchor: examplePluginPath,
      },
      {
        name: 'site.maintenance',
        severity: 'critical',
        description: 'The destination is not a host in maintenance ($PMC_SITE_MAINTENANCE)',
        origin: 'plugin:site',
        anchor: examplePluginPath,
      },
    ]);
  });

  it('gives the same plugin for the same file (a plugin is loaded once, never unloaded)', async () => {
    const a = await loadPlugin(examplePluginPath);
    const b = await loadPlugin(path.relative(process.cwd(), examplePluginPath));
    expect(b.checks).toEqual(a.checks);
    // Through a symlink, the file is still the one already loaded: the plugin
    // loaded first comes back, with the path it was loaded from. Loaded a
    // second time, it would carry the symlink's path.
    const dir = mkdtempSync(path.join(tmpdir(), 'pmc-plugin-link-'));
    try {
      const link = path.join(dir, 'libsite-link.so');
      symlinkSync(examplePluginPath, link);
      const c = await loadPlugin(link);
      expect(c.path).toBe(a.path);
      expect(c.checks.map((check) => check.anchor)).toEqual(a.checks.map(() => examplePluginPath));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing file', async () => {
    const e = await loadError(path.join(root, 'build-plugins', 'absent.so'));
    expect(e.code).toBe('ERR_PMC_CHECKS_NOT_FOUND');
  });

  it('resolves a bare name against the working directory, never the library path', async () => {
    // libc.so.6 exists in the library path, not in the working directory.
    const e = await loadError('libc.so.6');
    expect(e.code).toBe('ERR_PMC_CHECKS_NOT_FOUND');
    expect(e.file).toBe(path.resolve('libc.so.6'));
  });

  it('refuses a file that is not a shared object', async () => {
    const e = await loadError(path.join(fixturePluginSources, 'not-a-plugin.so'));
    expect(e.code).toBe('ERR_PMC_PLUGIN_LOAD');
    expect(e.message).toMatch(/not a loadable shared object: .*(invalid ELF header|file too short)/);
  });

  it.each([
    [
      'refuses a shared object without the entry point',
      'no-entry',
      'ERR_PMC_PLUGIN_ENTRY',
      'no entry point virPMCPluginInit',
    ],
    [
      'refuses a plugin built for another ABI version',
      'bad-abi',
      'ERR_PMC_PLUGIN_ABI',
      'built for plugin ABI 99, this pmc speaks ABI 1',
    ],
    [
      'refuses a plugin that refuses the ABI it is asked for',
      'refuses-abi',
      'ERR_PMC_PLUGIN_ABI',
      'refused plugin ABI 1',
    ],
  ] as const)('%s', async (_name, fixture, code, message) => {
    const e = await loadError(fixturePluginPath(fixture));
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
  });

  it('refuses a check with a NULL run function, naming it', async () => {
    const e = await loadError(fixturePluginPath('null-run'));
    expect(e.code).toBe('ERR_PMC_PLUGIN_INVALID');
    expect(e.check).toBe('nullrun.norun');
    expect(e.message).toContain('check nullrun.norun: the run function is NULL');
  });

  it('refuses two checks of one name in a plugin', async () => {
    const e = await loadError(fixturePluginPath('duplicate'));
    expect(e.code).toBe('ERR_PMC_CHECKS_DUPLICATE');
    expect(e.check).toBe('dup.same');
  });
});

describe('native plugins: runs on the test driver', () => {
  const hosts = useRunHosts();
  let site: Plugin;
  let fixture: Plugin;

  beforeAll(async () => {
    site = await loadPlugin(examplePluginPath);
    fixture = await loadPlugin(fixturePluginPath('behaviours'));
  });
  afterEach(() => {
    delete process.env.PMC_SITE_MAINTENANCE;
  });

  const run = (domain: Domain, plugins: Plugin[], extra: Record<string, unknown> = {}) =>
    domain.checkPMC(hosts.destination, { noBuiltins: true, plugins, ...extra });
  const fixtureOnly = (keep: string[]) => fixture.checks.map((c) => c.name).filter((name) => !keep.includes(name));

  it('passes and fails with the example plugin (libvirt calls in C)', async () => {
    const fits = await run(hosts.guest1, [site]);
    expect(fits.checks).toMatchObject([
      {
        name: 'site.vcpus-fit',
        status: 'pass',
        origin: 'plugin:site',
        message: 'the guest has 2 vCPUs, the destination 2 CPUs',
      },
      { name: 'site.maintenance', status: 'pass', origin: 'plugin:site' },
    ]);
    expect(fits.verdict).toBe('allowed');
    const big = await run(hosts.guestBig, [site]);
    expect(big.checks[0]).toMatchObject({ status: 'fail', message: 'the guest has 8 vCPUs, the destination 2 CPUs' });
    expect(big.verdict).toBe('blocked');
  });

  it('reads a shared fact through host->fact (the example maintenance list)', async () => {
    const hostname = await hosts.destination.getHostname();
    process.env.PMC_SITE_MAINTENANCE = `other-host,${hostname}`;
    const report = await run(hosts.guest1, [site]);
    expect(report.checks[1]).toMatchObject({
      status: 'fail',
      message: `${hostname} is in maintenance (PMC_SITE_MAINTENANCE)`,
    });
    expect(report.verdict).toBe('blocked');
  });

  it('gives a plugin only the facts it listed', async () => {
    const report = await run(hosts.guest1, [fixture], { skip: fixtureOnly(['fixture.facts']) });
    const hostname = await hosts.destination.getHostname();
    expect(report.checks.find((c) => c.name === 'fixture.facts')!.message).toBe(
      `dst=${hostname} domain-has-name=yes unlisted=(null)`,
    );
  });

  it('turns a status out of range into an error', async () => {
    const report = await run(hosts.guest1, [fixture], { skip: fixtureOnly(['fixture.bad-status']) });
    expect(report.checks.find((c) => c.name === 'fixture.bad-status')).toMatchObject({
      status: 'error',
      message: 'the check set status 42, which is out of range',
    });
  });

  it('obeys severity, skip and strict', async () => {
    const skip = fixtureOnly(['fixture.pass', 'fixture.warn-fail']);
    const warned = await run(hosts.guest1, [fixture], { skip });
    expect(warned.checks.filter((c) => c.status !== 'skipped').map((c) => [c.name, c.status])).toEqual([
      ['fixture.pass', 'pass'],
      ['fixture.warn-fail', 'fail'],
    ]);
    expect(warned.checks.find((c) => c.name === 'fixture.warn-fail')!.details).toEqual({ why: 'fixture' });
    expect(warned.verdict).toBe('allowed-with-warnings');
    expect((await run(hosts.guest1, [fixture], { skip, strict: true })).verdict).toBe('blocked');
    const failing = await run(hosts.guest1, [fixture], { skip: fixtureOnly(['fixture.fail']) });
    expect(failing.verdict).toBe('blocked');
  });

  it('obeys the timeout: a slow plugin check becomes an error and blocks', async () => {
    const started = Date.now();
    const report = await run(hosts.guest1, [fixture], { skip: fixtureOnly(['fixture.slow']), timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(report.checks.find((c) => c.name === 'fixture.slow')).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/timed out/),
    });
    expect(report.verdict).toBe('blocked');
  });

  it('refuses a run where two sources give one name, before anything runs', async () => {
    const clash = { name: 'site.maintenance', severity: 'info' as const, description: 'clash', run: () => true };
    await expect(run(hosts.guest1, [site], { checks: [clash] })).rejects.toThrow(
      new RegExp(`two checks are named site\\.maintenance \\(js and ${examplePluginPath}\\)`),
    );
  });
});
