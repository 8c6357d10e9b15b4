/**
 * An offline migration of a shut-off persistent guest on the lab: `pmc check
 * --offline --persistent` allows it (every check passes or says why it does not
 * apply), and the real `virsh migrate --offline --persistent` moves the
 * definition to host 2. The guest is undefined on both hosts afterwards, and
 * the lab's own guests run where they ran before.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Connection } from '../../src/index.js';
import { LAB_VM, LAB_VM_DISK, guestXml } from '../../src/lab/index.js';
import type { Report } from '../../src/pmc/types.js';
import { removeEverywhere, uniqueName } from '../helpers/check-lab.js';
import { parseReport, runPmc } from '../helpers/cli.js';
import { host, openHosts, whereDefined, whereRuns } from '../helpers/lab.js';

const lab = inject('lab');
const host1 = host(lab, 'host-1');
const host2 = host(lab, 'host-2');

describe('offline migration of a shut-off persistent guest', () => {
  let h1: Connection;
  let h2: Connection;
  const name = uniqueName('offline');
  const labGuestsBefore = new Map<string, string[]>();

  beforeAll(async () => {
    [h1, h2] = (await openHosts(lab)) as [Connection, Connection];
    for (const guest of [LAB_VM, LAB_VM_DISK]) labGuestsBefore.set(guest, await whereRuns(lab, guest));
  });
  afterAll(async () => {
    await removeEverywhere([h1, h2], name);
    await Promise.all([h1?.close(), h2?.close()]);
  });

  it('pmc check --offline --persistent allows it, and virsh migrate --offline --persistent moves the definition', async () => {
    await h1.defineDomain(guestXml(name));
    expect(await whereDefined(lab, name)).toEqual(['host-1']);
    expect(await whereRuns(lab, name)).toEqual([]);

    const { code, stdout, stderr } = await runPmc([
      '-c',
      host1.uri,
      'check',
      '--json',
      '--offline',
      '--persistent',
      name,
      host2.uri,
    ]);
    const report = parseReport<Report>(stdout);
    const notOk = report.checks.filter((c) => c.status === 'fail' || c.status === 'error');
    expect(notOk, JSON.stringify(notOk)).toEqual([]);
    for (const c of report.checks.filter((c) => c.status === 'skipped')) expect(c.message, c.name).not.toBe('');
    // The job query of an inactive guest was the blocker: it does not apply now.
    expect(report.checks.find((c) => c.name === 'domain.job')).toMatchObject({ status: 'skipped' });
    expect(report.verdict).toBe('allowed');
    expect(report.migration.attempted).toBe(false);
    expect(code, stderr).toBe(0);
    console.log(`[offline] ${report.checks.map((c) => `${c.name}=${c.status}`).join(' ')} → ${report.verdict}`);

    // The real migration, without checks: libvirt agrees.
    execFileSync('virsh', ['-c', host1.uri, 'migrate', '--offline', '--persistent', name, host2.uri], {
      stdio: 'pipe',
    });
    // The definition is on host 2 now; the source keeps its own (no --undefinesource); nothing runs.
    expect(await whereDefined(lab, name)).toEqual(['host-1', 'host-2']);
    expect(await whereRuns(lab, name)).toEqual([]);
    const moved = await h2.lookupDomainByName(name);
    expect(moved.uuid).toBe((await h1.lookupDomainByName(name)).uuid);

    // Undefined on both hosts again, and the lab's guests run where they ran.
    await removeEverywhere([h1, h2], name);
    expect(await whereDefined(lab, name)).toEqual([]);
    for (const [guest, before] of labGuestsBefore) expect(await whereRuns(lab, guest), guest).toEqual(before);
  });
});
