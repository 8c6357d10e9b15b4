/**
 * Accuracy of the built-in checks against real libvirt 9.0 on the lab. For
 * each case, the full built-in suite gives a verdict (checkPMC), then the real
 * migration runs with the checks left out (migratePMC, noBuiltins):
 * - a case blocked by a check that follows libvirt must fail for real too;
 * - a case that passes every critical check must migrate for real.
 * Safety rules libvirt does not enforce (persistence.safe, memory.available)
 * are listed apart: there the real migration succeeds and our check still blocks.
 * Every case ends asserting that its guest runs on exactly one host.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Connection, constants, type Domain, type Report, type RunOptions } from '../../src/index.js';
import { SHARED_POOL } from '../../src/lab/index.js';
import { migrateFlags, migrateParamEntries } from '../../src/options/index.js';
import {
  createPrivateImage,
  createVolume,
  labGuestXml,
  removeEverywhere,
  startBlockCopy,
  uniqueName,
  withLabGuest,
} from '../helpers/check-lab.js';
import { host, useLabHosts, whereRuns } from '../helpers/lab.js';

const lab = inject('lab');
const migrateUri = host(lab, 'host-2').migrationUri;

interface Row {
  case: string;
  verdict: Report['verdict'];
  blockedBy: string[];
  real: 'succeeded' | 'failed';
  realError: string | null;
  kind: 'libvirt' | 'safety';
}
const table: Row[] = [];

/** The checks that block: critical ones that failed or errored, sorted. */
function criticalFailures(report: Report): string[] {
  return report.checks
    .filter((c) => c.severity === 'critical' && (c.status === 'fail' || c.status === 'error'))
    .map((c) => c.name)
    .sort();
}

describe('accuracy of the built-in checks against real migrations', () => {
  const hosts = useLabHosts(lab);
  afterAll(async () => {
    console.log('\naccuracy table (case | verdict | blocked by | real migration)');
    for (const r of table) {
      console.log(
        `${r.kind === 'safety' ? '[safety] ' : ''}${r.case} | ${r.verdict} | ${r.blockedBy.join(', ') || '-'} | ${r.real}${r.realError ? ` (${r.realError})` : ''}`,
      );
    }
  });

  /**
   * Checks, then migrates for real without checks, records the row, and
   * asserts the guest runs on exactly one host (where the outcome says).
   */
  async function judge(
    name: string,
    dom: Domain,
    dest: Connection,
    options: RunOptions,
    expected: { blockedBy?: string | string[]; kind?: 'libvirt' | 'safety'; inactive?: boolean },
  ): Promise<Row> {
    const report = await dom.checkPMC(dest, options);
    const blockedBy = criticalFailures(report);
    const migrateOptions = { ...options, migrateUri: options.migrateUri ?? migrateUri };
    const real = await dom.migratePMC(dest, { ...migrateOptions, noBuiltins: true });
    let succeeded = real.migration.succeeded;
    let realError = real.migration.error?.message ?? null;
    if (!real.migration.attempted) {
      // The runner's own state re-check stopped it (e.g. a live migration of a stopped guest):
      // ask libvirt itself, with the same flags and parameters.
      const direct = await dom.native
        .migrate3(dest.native, migrateParamEntries(migrateOptions), migrateFlags(migrateOptions, constants))
        .then(
          () => null,
          (e: Error) => e,
        );
      succeeded = direct === null;
      realError = direct
        ? `${direct.message} (virDomainMigrate3; the runner refused first: ${real.stateError ?? '?'})`
        : null;
    }
    const row: Row = {
      case: name,
      verdict: report.verdict,
      blockedBy,
      real: succeeded ? 'succeeded' : 'failed',
      realError,
      kind: expected.kind ?? 'libvirt',
    };
    table.push(row);
    if (expected.blockedBy) {
      // Exactly these, no others: an extra blocker would be a false alarm.
      expect(blockedBy, `${name}: ${JSON.stringify(report.checks.filter((c) => c.status !== 'pass'))}`).toEqual(
        [expected.blockedBy].flat().sort(),
      );
      expect(report.verdict).toBe('blocked');
      if (row.kind === 'libvirt') expect(row.real, `${name}: libvirt should refuse too`).toBe('failed');
      else expect(row.real, `${name}: libvirt allows what the safety rule blocks`).toBe('succeeded');
    } else {
      expect(blockedBy, `${name}: ${JSON.stringify(report.checks.filter((c) => c.status !== 'pass'))}`).toEqual([]);
      expect(row.real, `${name}: ${row.realError}`).toBe('succeeded');
    }
    // An inactive guest runs nowhere: its test starts it afterwards and checks where.
    if (expected.inactive) return row;
    // Nothing lost: the guest runs on exactly one host.
    const where = await whereRuns(lab, dom.name);
    expect(where).toHaveLength(1);
    expect(where[0]).toBe(row.real === 'succeeded' && dest !== hosts.h1 ? 'host-2' : 'host-1');
    return row;
  }

  it('snapshots: blocked by domain.snapshots, and libvirt refuses', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'acc-snap', {}, async (dom) => {
      // Snapshot metadata only (REDEFINE): a real snapshot list entry without touching disks.
      await dom.createSnapshot(
        `<domainsnapshot><name>s1</name><state>shutoff</state><creationTime>1700000000</creationTime>${await dom.getXMLDesc()}</domainsnapshot>`,
        constants.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE!,
      );
      expect(await dom.snapshotCount()).toBe(1);
      await judge('snapshots', dom, hosts.h2, { live: true }, { blockedBy: 'domain.snapshots' });
    });
  });

  it('an active block job: blocked by domain.job, and libvirt refuses', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'acc-blockjob', { localDisk: true }, async (dom, name) => {
      await startBlockCopy(lab, dom, name);
      expect(await dom.getBlockJobInfo('vda')).not.toBeNull();
      await judge('active block job', dom, hosts.h2, { live: true, copyStorageAll: true }, { blockedBy: 'domain.job' });
      await dom.blockJobAbort('vda');
    });
  });

  it('a local disk without copy-storage: blocked by storage.shared, and libvirt says unsafe', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'acc-local', { localDisk: true }, async (dom) => {
      const row = await judge(
        'local disk, no copy-storage',
        dom,
        hosts.h2,
        { live: true },
        { blockedBy: 'storage.shared' },
      );
      expect(row.realError).toMatch(/unsafe/i);
    });
  });

  it('a copied disk whose directory has no pool on the destination: blocked by storage.copy-target, libvirt finds no pool', async () => {
    const name = uniqueName('acc-nopool');
    const disk = createPrivateImage(lab, 'host-1', name, 'disk.qcow2');
    const dom = await hosts.h1.createDomain(labGuestXml(name, { disk }));
    try {
      const row = await judge(
        'copied disk, no pool at its directory',
        dom,
        hosts.h2,
        { live: true, copyStorageAll: true },
        {
          blockedBy: 'storage.copy-target',
        },
      );
      expect(row.realError).toMatch(/no storage pool with matching target path/);
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
    }
  });

  it('a name clash on the destination: blocked by domain.name-free, and libvirt refuses', async () => {
    const name = uniqueName('acc-clash');
    const other = await hosts.h2.defineDomain(labGuestXml(name));
    const dom = await hosts.h1.createDomain(labGuestXml(name));
    try {
      expect(other.uuid).not.toBe(dom.uuid);
      await judge('name clash', dom, hosts.h2, { live: true }, { blockedBy: 'domain.name-free' });
    } finally {
      await dom.destroy().catch(() => undefined);
      await other.undefine().catch(() => undefined);
    }
  });

  it('post-copy without live: blocked by migration.flags, and libvirt refuses', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'acc-postcopy', {}, async (dom) => {
      await judge('post-copy without live', dom, hosts.h2, { postcopy: true }, { blockedBy: 'migration.flags' });
    });
  });

  it('migration to the same host: blocked by host.distinct, and libvirt refuses', async () => {
    const name = uniqueName('acc-samehost');
    const dom = await hosts.h1.createDomain(labGuestXml(name));
    const again = await Connection.open(host(lab, 'host-1').uri);
    try {
      await judge(
        'same host',
        dom,
        again,
        { live: true, migrateUri: host(lab, 'host-1').migrationUri },
        {
          // The destination is the source: it does run this domain already, so domain.name-free says so too.
          blockedBy: ['host.distinct', 'domain.name-free'],
        },
      );
    } finally {
      await again.close();
      await removeEverywhere([hosts.h1, hosts.h2], name);
    }
  });

  it('a shared-directory disk without unsafe: blocked by storage.shared, and libvirt says unsafe', async () => {
    const name = uniqueName('acc-shared');
    // Created through host 2, so host 2's pool lists it (host 1 sees the same file).
    const disk = await createVolume(hosts.h2, SHARED_POOL, `${name}.qcow2`);
    // Without unsafe: blocked. The same disk with unsafe: allowed, and the real migration succeeds.
    const cases: [string, RunOptions, { blockedBy?: string }][] = [
      ['shared directory (not a shared FS), no unsafe', { live: true }, { blockedBy: 'storage.shared' }],
      ['shared directory with unsafe, volume known on destination', { live: true, unsafe: true }, {}],
    ];
    try {
      for (const [label, options, expected] of cases) {
        const dom = await hosts.h1.createDomain(labGuestXml(name, { disk }));
        try {
          await judge(label, dom, hosts.h2, options, expected);
        } finally {
          await removeEverywhere([hosts.h1, hosts.h2], name);
        }
      }
    } finally {
      await hosts.h2.deleteStorageVolume(disk).catch(() => undefined);
    }
  });

  // Two rules on a defined, stopped guest of its own, started afterwards on host-1 (domain.job skips a
  // guest that does not run: libvirt answers job queries only for a running one).
  const stoppedCases: [string, RunOptions, string][] = [
    ['live migration of a stopped guest', { live: true }, 'domain.state'],
    ['offline without persistent', { offline: true }, 'migration.flags'],
  ];
  for (const [label, options, blocker] of stoppedCases) {
    it(`${label}: blocked by ${blocker}, and libvirt refuses`, async () => {
      await withLabGuest([hosts.h1, hosts.h2], 'acc-stopped', { define: true }, async (dom, name) => {
        await judge(label, dom, hosts.h2, options, { blockedBy: [blocker], inactive: true });
        await dom.create();
        expect(await whereRuns(lab, name)).toEqual(['host-1']);
      });
    });
  }

  // More of libvirt's flag rules, each on a diskless guest of its own.
  const flagCases: [string, RunOptions][] = [
    ['tunnelled without peer-to-peer', { live: true, tunnelled: true }],
    ['copy-storage-all and copy-storage-inc together', { live: true, copyStorageAll: true, copyStorageInc: true }],
    ['migrate-disks naming no disk of the guest', { live: true, copyStorageAll: true, migrateDisks: ['vdz'] }],
  ];
  for (const [label, options] of flagCases) {
    it(`${label}: blocked by migration.flags, and libvirt refuses`, async () => {
      await withLabGuest([hosts.h1, hosts.h2], 'acc-flags', {}, async (dom) => {
        await judge(label, dom, hosts.h2, options, { blockedBy: 'migration.flags' });
      });
    });
  }

  it('a diskless guest, live: allowed, and the real migration succeeds', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'acc-ok', {}, async (dom) => {
      await judge('diskless, live', dom, hosts.h2, { live: true }, {});
    });
  });

  it('a local disk with copy-storage-all: allowed, and the real migration succeeds', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'acc-copy', { localDisk: true }, async (dom) => {
      await judge('local disk, copy-storage-all', dom, hosts.h2, { live: true, copyStorageAll: true }, {});
    });
  });

  it('[safety] undefine-source without persistent: persistence.safe blocks, libvirt allows', async () => {
    const name = uniqueName('acc-undefine');
    const dom = await hosts.h1.defineDomain(labGuestXml(name));
    await dom.create();
    try {
      await judge(
        'undefine-source without persistent',
        dom,
        hosts.h2,
        { live: true, undefineSource: true },
        {
          blockedBy: 'persistence.safe',
          kind: 'safety',
        },
      );
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
    }
  });
});
