/** `pmc … --checks-file F --plugin P`: check files and plugins from the command line, on the test driver. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReport, runPmc, pmcOnHostA } from '../helpers/cli.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { examplePluginPath } from '../helpers/plugins.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const hostB = fixtureUri('host-b');
const siteRules = path.join(root, 'examples/checks/site-rules.xml');
const rack = path.join(root, 'examples/checks/rack.xml');
const dir = mkdtempSync(path.join(os.tmpdir(), 'pmc-cli-ext-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface JsonReport {
  verdict: string;
  migration: { attempted: boolean };
  checks: { name: string; status: string; origin: string }[];
}

describe('pmc with check files and plugins', () => {
  it('pmc checks lists the checks of every file and plugin given, with origin and anchor', async () => {
    const { code, stdout } = await runPmc([
      'checks',
      '--json',
      '--checks-file',
      siteRules,
      '--checks-file',
      rack,
      '--plugin',
      examplePluginPath,
    ]);
    expect(code).toBe(0);
    const listing = JSON.parse(stdout) as { name: string; origin: string; anchor: string | null; line?: number }[];
    expect(listing.find((c) => c.name === 'site.no-passthrough')).toMatchObject({
      origin: 'xml',
      anchor: siteRules,
      line: 5,
    });
    expect(listing.find((c) => c.name === 'site.same-rack')).toMatchObject({ origin: 'xml', anchor: rack });
    expect(listing.find((c) => c.name === 'site.vcpus-fit')).toMatchObject({
      origin: 'plugin:site',
      anchor: examplePluginPath,
    });
    expect(listing.some((c) => c.origin === 'builtin')).toBe(true);

    const text = await runPmc(['checks', '--no-color', '--plugin', examplePluginPath]);
    expect(text.stdout).toMatch(
      /site\.maintenance\s+critical\s+plugin:site\s+The destination is not a host in maintenance/,
    );
  });

  it('pmc check: an XML check blocks (exit 2) and shows with origin xml', async () => {
    const { code, stdout } = await pmcOnHostA(['check', '--json', '--checks-file', rack, 'guest1', hostB]);
    expect(code).toBe(2);
    const report = parseReport<JsonReport>(stdout);
    expect(report.checks.find((c) => c.name === 'site.same-rack')).toMatchObject({ status: 'fail', origin: 'xml' });
    expect(report.verdict).toBe('blocked');
    expect(report.migration.attempted).toBe(false);
  });

  it('pmc check: a plugin check blocks (exit 2) and shows with origin plugin:site', async () => {
    const { code, stdout } = await pmcOnHostA(['check', '--json', '--plugin', examplePluginPath, 'guest-big', hostB]);
    expect(code).toBe(2);
    const report = parseReport<JsonReport>(stdout);
    expect(report.checks.find((c) => c.name === 'site.vcpus-fit')).toMatchObject({
      status: 'fail',
      origin: 'plugin:site',
    });
  });

  it('a bad check file stops the command with one line naming the file (exit 1), before connecting', async () => {
    const bad = path.join(dir, 'bad.xml');
    writeFileSync(bad, '<checks><check name="site.x" severity="critical"><assert test="count(("/></check></checks>');
    const { code, stdout, stderr } = await runPmc([
      '-c',
      'test:///nonexistent/host.xml',
      'check',
      '--checks-file',
      bad,
      'guest1',
      hostB,
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^pmc: error: ${bad}:1:\\d+: check site\\.x: `));
  });

  it('a file that is not a plugin stops the command with one line naming it (exit 1)', async () => {
    const { code, stderr } = await runPmc(['checks', '--plugin', siteRules]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^pmc: error: ${siteRules}: not a loadable shared object`));
  });

  it('pmc migrate without --pmc refuses --checks-file (no check would run)', async () => {
    const { code, stderr } = await pmcOnHostA(['migrate', '--checks-file', rack, 'guest1', hostB]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--checks-file needs --pmc/);
  });
});
