/**
 * `pmc check` (the dry run) and `pmc migrate` against libvirt's test driver:
 * the report for people, the JSON report against docs/report.schema.json,
 * and the exit codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import type { Report } from '../../src/pmc/types.js';
import { parseReport, runPmc, pmcOnHostA } from '../helpers/cli.js';
import { fixtureUri } from '../helpers/fixtures.js';

const hostA = fixtureUri('host-a');
const hostB = fixtureUri('host-b');

describe('pmc check on the test driver', () => {
  it('gives a JSON report that matches the schema, with every check, and migrates nothing', async () => {
    const { code, stdout, stderr } = await pmcOnHostA(['check', '--live', '--json', 'guest1', hostB]);
    const report = parseReport<Report>(stdout);
    expect(report.domain).toEqual({ name: 'guest1', uuid: '4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01' });
    expect(report.source.uri).toBe(hostA);
    expect(report.destination.uri).toBe(hostB);
    expect(report.checks.map((c) => c.name)).toEqual(builtinChecks.map((c) => c.name));
    expect(report.migration).toMatchObject({ attempted: false, succeeded: false });
    expect(report.domainLocation).toBe('source');
    expect(code, stderr).toBe(report.verdict === 'blocked' ? 2 : 0);
  });

  it('prints the report for people: failures first, one line per check, then the verdict', async () => {
    const { code, stdout } = await pmcOnHostA(['check', '--live', 'guest1', hostB]);
    expect([0, 2]).toContain(code);
    expect(stdout).not.toContain('\u001b[');
    expect(stdout).toMatch(/^Domain guest1: .* → \(dry run\) /);
    expect(stdout).toMatch(/^Verdict: /m);
    expect(stdout).toContain('Migration: not attempted (dry run)');
    const sections = [...stdout.matchAll(/^(Failed|Errored|Passed|Skipped)\b/gm)].map((m) => m[1]);
    const order = ['Failed', 'Errored', 'Passed', 'Skipped'];
    expect(sections).toEqual([...sections].sort((a, b) => order.indexOf(a!) - order.indexOf(b!)));
    for (const check of builtinChecks)
      expect(stdout).toMatch(
        new RegExp(`^  (PASS|FAIL|ERROR|SKIP) +${check.severity} +${check.name.replace('.', '\\.')} `, 'm'),
      );
  });

  it('marks --skip-check checks skipped and rejects unknown names', async () => {
    const first = builtinChecks[0];
    if (first) {
      const { stdout } = await pmcOnHostA(['check', '--json', '--skip-check', first.name, 'guest1', hostB]);
      expect(parseReport<Report>(stdout).checks.find((c) => c.name === first.name)?.status).toBe('skipped');
    }
    const { code, stderr } = await pmcOnHostA(['check', '--skip-check', 'no.such-check', 'guest1', hostB]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^pmc: error: cannot skip no\.such-check: no such check/);
  });

  it('blocks guest-big (12 GiB) towards a 4 GiB host with exit 2 when a memory check exists', async () => {
    // memory.available needs free memory, which the test driver cannot give
    // (it errors): a check file compares the guest's memory with host B's
    // instead. The checks that cannot pass on the test driver are skipped, so
    // the memory check is the only critical one left to block.
    const dir = mkdtempSync(path.join(tmpdir(), 'pmc-memory-'));
    const file = path.join(dir, 'memory.xml');
    writeFileSync(
      file,
      `<checks><check name="site.memory-fits" severity="critical">
        <assert test="number($domain/domain/memory) &lt;= number($dstNode/node/memory)">the guest needs {$domain/domain/memory} KiB, the destination has {$dstNode/node/memory} KiB</assert>
      </check></checks>`,
    );
    const skipped = ['domain.job', 'platform.supported', 'memory.available'].flatMap((name) => ['--skip-check', name]);
    const args = ['-c', hostA, 'check', '--live', '--json', '--checks-file', file, ...skipped];
    try {
      const blocked = await runPmc([...args, 'guest-big', hostB]);
      const report = parseReport<Report>(blocked.stdout);
      const blockers = report.checks.filter(
        (c) => c.severity === 'critical' && (c.status === 'fail' || c.status === 'error'),
      );
      expect(blockers.map((c) => [c.name, c.status, c.message])).toEqual([
        ['site.memory-fits', 'fail', 'the guest needs 12582912 KiB, the destination has 4194304 KiB'],
      ]);
      expect(report.verdict).toBe('blocked');
      expect(blocked.code, blocked.stderr).toBe(2);
      // Without the memory check nothing blocks: the same run is allowed (its warning: 8 vCPUs on 2 CPUs).
      const allowed = await runPmc([...args, '--skip-check', 'site.memory-fits', 'guest-big', hostB]);
      expect(parseReport<Report>(allowed.stdout).verdict).toBe('allowed-with-warnings');
      expect(allowed.code, allowed.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pmc migrate on the test driver', () => {
  it('without --pmc runs no check and still gives one report', async () => {
    const { code, stdout } = await pmcOnHostA(['migrate', '--live', '--json', 'guest1', hostB]);
    const report = parseReport<Report>(stdout);
    expect(report.checks).toEqual([]);
    // The test driver cannot migrate: the attempt fails (exit 3) and the guest stays on the source.
    expect(report.migration.attempted).toBe(true);
    expect(report.migration.succeeded).toBe(false);
    expect(report.migration.error?.code).toMatch(/^VIR_ERR_/);
    expect(report.domainLocation).toBe('source');
    expect(code).toBe(3);
  });

  it('says where the guest runs after a failed migration', async () => {
    const { code, stdout } = await pmcOnHostA(['migrate', '--live', 'guest1', hostB]);
    expect(code).toBe(3);
    expect(stdout).toMatch(/^Migration: failed after .*VIR_ERR_/m);
    expect(stdout).toMatch(/^Guest runs on: the source, /m);
  });
});
