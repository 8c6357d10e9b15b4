/**
 * A check file whose expression walks the domain again for every node
 * (issue 19 item 10): eight nested count($domain//node()[…]), about 70^8
 * steps. It used to end in `error` at its timeout while its abandoned thread
 * went on burning a core for as long as the process lived. libxml2's
 * operation limit (kXPathOpLimit, native/cxx/xpath_eval.h) now stops it and
 * is the check's error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckFile } from '../../src/index.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pmc-runaway-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runaway = 'true()';
for (let i = 0; i < 8; i++) runaway = `count($domain//node()[${runaway}]) &gt; 0`;

function runawayFile(name: string): string {
  const file = path.join(dir, `${name}.xml`);
  writeFileSync(
    file,
    `<checks><check name="site.runaway" severity="critical"><assert test="${runaway}"/></check></checks>`,
  );
  return file;
}

/** CPU time (ms) the whole process used over `ms` of wall time. */
async function cpuOver(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe('a runaway XPath expression in a check file', () => {
  const hosts = useRunHosts();

  it('ends in error naming the limit, long before a generous timeout', async () => {
    const file = await loadCheckFile(runawayFile('limit'));
    const started = performance.now();
    const report = await hosts.guest1.checkPMC(hosts.destination, {
      noBuiltins: true,
      checkFiles: [file],
      timeoutMs: 60_000,
    });
    expect(report.checks[0]).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^stopped after 10000000 XPath steps \(a runaway expression/),
    });
    // About 1 s of one core here (measured 0.9 s on the loaded 2-core machine); the bound is loose for load.
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('after its timeout, its abandoned thread stops: the process goes idle', async () => {
    const file = await loadCheckFile(runawayFile('timeout'));
    const report = await hosts.guest1.checkPMC(hosts.destination, {
      noBuiltins: true,
      checkFiles: [file],
      timeoutMs: 100,
    });
    expect(report.checks[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/timed out/) });
    // A thread that keeps burning takes a share of a core in every window
    // (a whole one when idle, ~25 % with eight busy neighbours on two cores);
    // an idle process takes a few ms. Look for one quiet second within 30 s.
    const windows: number[] = [];
    for (let i = 0; i < 30; i++) {
      windows.push(Math.round(await cpuOver(1000)));
      if (windows.at(-1)! < 100) break;
    }
    expect(windows.at(-1), `CPU ms per second after the timeout: ${windows.join(', ')}`).toBeLessThan(100);
  }, 60_000);
});
