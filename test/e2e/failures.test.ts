/** Migrations that fail: the guest must keep running on its source host, and the lab must stay usable. */
import { once } from 'node:events';
import { describe, expect, inject, it } from 'vitest';
import { Connection, constants, LibvirtError } from '../../src/index.js';
import { guestXml, LAB_VM, labUp } from '../../src/lab/index.js';
import {
  abortingMidMigration,
  daemonPid,
  expectRunsOnlyOn,
  host,
  useLabHosts,
  waitForMigrationData,
  whereRuns,
} from '../helpers/lab.js';

const lab = inject('lab');
const LIVE = constants.VIR_MIGRATE_LIVE!;
const to2 = { uri: host(lab, 'host-2').migrationUri };

describe('failed migrations', () => {
  const hosts = useLabHosts(lab);

  it('fails when a guest of the same name already runs on host 2', async () => {
    const impostor = await hosts.h2.createDomain(guestXml(LAB_VM));
    try {
      const dom = await hosts.h1.lookupDomainByName(LAB_VM);
      expect(impostor.uuid).not.toBe(dom.uuid);
      await expect(dom.migrate3(hosts.h2, to2, LIVE)).rejects.toBeInstanceOf(LibvirtError);
      expect((await hosts.h2.lookupDomainByName(LAB_VM)).uuid).toBe(impostor.uuid);
    } finally {
      await impostor.destroy();
    }
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('keeps the guest on host 1 when the job is aborted during a bandwidth-limited migration', async () => {
    const outcome = await abortingMidMigration(lab, LAB_VM, async () => {
      const dom = await hosts.h1.lookupDomainByName(LAB_VM);
      const migrating = dom.migrate3(hosts.h2, { ...to2, bandwidth: 1 }, LIVE).then(
        () => 'migrated',
        (e: unknown) => e,
      );
      await waitForMigrationData(dom);
      // An abort that comes after the job ended finds no job (or no guest): the migration answers.
      await dom.abortJob().catch(() => undefined);
      return migrating;
    });
    expect(outcome).toBeInstanceOf(LibvirtError);
    expect(outcome).toMatchObject({ code: 'VIR_ERR_OPERATION_ABORTED' });
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('survives host 2’s daemon being killed mid-migration', async () => {
    // A connection of its own: the test's shared one would be closed by the kill too.
    const dest = await Connection.open(host(lab, 'host-2').uri);
    try {
      const closed = once(dest, 'close');
      const dom = await hosts.h1.lookupDomainByName(LAB_VM);
      const migrating = dom.migrate3(dest, { ...to2, bandwidth: 1 }, LIVE);
      migrating.catch(() => undefined);
      await waitForMigrationData(dom);
      process.kill(await daemonPid(lab, 'host-2'), 'SIGKILL');

      const error = await migrating.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LibvirtError);
      const [reason] = await closed;
      expect(['eof', 'error', 'keepalive']).toContain(reason);
      expect((await dom.getState()).state).toBe('running');
    } finally {
      await dest.close();
      // Restarts the killed daemon (up is idempotent); the restarted daemon drops the half-migrated guest.
      const restarted = await labUp({ id: lab.id });
      lab.hosts = restarted.hosts;
      await hosts.h2.close();
      hosts.h2 = await Connection.open(host(lab, 'host-2').uri);
    }
    expect(await whereRuns(lab, LAB_VM)).toEqual(['host-1']);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
});
