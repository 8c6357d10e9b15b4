/** Checks from XML files and from a native plugin deciding real migrations in the lab. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadCheckFile, loadPlugin, type CheckFile, type Plugin } from '../../src/index.js';
import { LAB_VM } from '../../src/lab/index.js';
import {
  bringBackToHost1,
  expectBlockedOnHost1,
  expectRunsOnlyOn,
  migratePMCToHost2,
  useLabHosts,
} from '../helpers/lab.js';
import { buildPlugins, examplePluginPath } from '../helpers/plugins.js';

const lab = inject('lab');
const dir = mkdtempSync(path.join(os.tmpdir(), 'pmc-e2e-checks-'));

function checkFile(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `<?xml version="1.0"?>\n<checks>\n${body}\n</checks>\n`);
  return file;
}

describe('XML check files and plugins in the lab', () => {
  const hosts = useLabHosts(lab);
  let site: Plugin;
  let facts: CheckFile;

  beforeAll(async () => {
    buildPlugins();
    site = await loadPlugin(examplePluginPath);
    // Facts the test driver cannot give, read from real QEMU hosts.
    facts = await loadCheckFile(
      checkFile(
        'facts.xml',
        `<check name="lab.domcaps" severity="critical">
           <assert test="count($dstDomCaps/domainCapabilities/arch) = 1">no domain capabilities</assert>
         </check>
         <check name="lab.free-memory" severity="info">
           <assert test="$dstFreeMemory &gt; 0 and $srcFreeMemory &gt; 0">{$dstFreeMemory} KiB free</assert>
         </check>`,
      ),
    );
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    delete process.env.PMC_SITE_MAINTENANCE;
  });

  it('an XML check blocks the migration: nothing migrated, the guest runs on host 1 only', async () => {
    const rack = await loadCheckFile(path.resolve('examples/checks/rack.xml'));
    const report = await migratePMCToHost2(lab, hosts, LAB_VM, { checkFiles: [facts, rack] });
    expect(report.checks.map((c) => [c.name, c.status, c.origin])).toEqual([
      ['lab.domcaps', 'pass', 'xml'],
      ['lab.free-memory', 'pass', 'xml'],
      ['site.same-rack', 'fail', 'xml'],
    ]);
    await expectBlockedOnHost1(lab, report, LAB_VM);
  });

  it('a plugin check blocks the migration: nothing migrated, the guest runs on host 1 only', async () => {
    process.env.PMC_SITE_MAINTENANCE = await hosts.h2.getHostname();
    const report = await migratePMCToHost2(lab, hosts, LAB_VM, { plugins: [site] });
    expect(report.checks.map((c) => [c.name, c.status, c.origin])).toEqual([
      ['site.vcpus-fit', 'pass', 'plugin:site'],
      ['site.maintenance', 'fail', 'plugin:site'],
    ]);
    await expectBlockedOnHost1(lab, report, LAB_VM);
  });

  it('passing XML and plugin checks let the migration happen, and the guest comes back', async () => {
    const report = await migratePMCToHost2(lab, hosts, LAB_VM, { checkFiles: [facts], plugins: [site] });
    expect(report.verdict).toBe('allowed');
    expect(report.migration.succeeded).toBe(true);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-2');
    await bringBackToHost1(lab, report.migratedDomain!, hosts.h1);
  });
});
