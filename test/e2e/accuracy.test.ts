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
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Connection, constants, type Domain, type Report, type RunOptions } from '../../src/index.js';
import { LOCAL_POOL, SHARED_POOL, buildDirtier, dirtierXml } from '../../src/lab/index.js';
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
import { parseReport, runPmc } from '../helpers/cli.js';
import { host, useLabHosts, whereRuns } from '../helpers/lab.js';
import { labLayout } from '../../src/lab/layout.js';

const lab = inject('lab');
const migrateUri = host(lab, 'host-2').migrationUri;

interface Row {
  case: string;
  verdict: Report['verdict'];
  blockedBy: string[];
  real: 'succeeded' | 'failed';
  realError: string | null;
  kind: 'libvirt' | 'safety';
  rehearsal: string;
}
const table: Row[] = [];

const execFileAsync = promisify(execFile);

/** The checks that block: critical ones that failed or errored, sorted. */
function criticalFailures(report: Report): string[] {
  return report.checks
    .filter((c) => c.severity === 'critical' && (c.status === 'fail' || c.status === 'error'))
    .map((c) => c.name)
    .sort();
}

/**
 * The rehearsal column (docs/rehearsal.md): libvirt's own Begin and Prepare,
 * cancelled, with no built-in in the way. 'fail: <libvirt's words>', 'pass'
 * or 'skipped: <why>'. It must agree with the real migration unless the row
 * says why it cannot see the failure (`rehearsalBlind`).
 */
function rehearsalColumn(report: Report): string {
  const r = report.checks.find((c) => c.name === 'migration.rehearsal');
  if (!r) return 'missing';
  return r.status === 'pass' ? 'pass' : `${r.status}: ${r.message}`;
}

/** Asserts that the rehearsal agrees with the real migration, or records why it cannot see it. */
function expectRehearsalAgrees(label: string, rehearsal: string, realFailed: boolean, blind?: string): string {
  if (blind) return `${rehearsal} (blind: ${blind})`;
  expect(rehearsal, `${label}: the rehearsal should ${realFailed ? 'fail' : 'pass'} as the real migration did`).toMatch(
    realFailed ? /^fail: / : /^pass$/,
  );
  return rehearsal;
}

describe('accuracy of the built-in checks against real migrations', () => {
  const hosts = useLabHosts(lab);
  afterAll(async () => {
    console.log('\naccuracy table (case | verdict | blocked by | real migration | rehearsal)');
    for (const r of table) {
      console.log(
        `${r.kind === 'safety' ? '[safety] ' : ''}${r.case} | ${r.verdict} | ${r.blockedBy.join(', ') || '-'} | ${r.real}${r.realError ? ` (${r.realError})` : ''} | ${r.rehearsal}`,
      );
    }
    const libvirtRows = table.filter((r) => r.kind === 'libvirt');
    const agree = libvirtRows.filter((r) => (r.verdict === 'blocked') === (r.real === 'failed')).length;
    console.log(`agreement: ${agree}/${libvirtRows.length} (safety rows apart: ${table.length - libvirtRows.length})`);
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
    expected: {
      blockedBy?: string | string[];
      kind?: 'libvirt' | 'safety';
      inactive?: boolean;
      rehearsalBlind?: string;
    },
  ): Promise<Row> {
    const report = await dom.checkPMC(dest, options);
    const rehearsal = rehearsalColumn(
      await dom.checkPMC(dest, {
        ...options,
        migrateUri: options.migrateUri ?? migrateUri,
        noBuiltins: true,
        rehearse: true,
      }),
    );
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
      rehearsal,
    };
    table.push(row);
    row.rehearsal = expectRehearsalAgrees(name, rehearsal, !succeeded, expected.rehearsalBlind);
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
    ['offline with copy-storage', { offline: true, persistent: true, copyStorageAll: true }, 'migration.flags'],
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

  // More of libvirt's flag rules, each on a diskless guest of its own. Only rules libvirt applies
  // before a peer-to-peer source connects to the destination: in the lab that connection, made
  // inside the source daemon to qemu:///session, reaches the source itself ("same host").
  const flagCases: [string, RunOptions][] = [
    ['tunnelled without peer-to-peer', { live: true, tunnelled: true }],
    ['copy-storage-all and copy-storage-inc together', { live: true, copyStorageAll: true, copyStorageInc: true }],
    ['migrate-disks naming no disk of the guest', { live: true, copyStorageAll: true, migrateDisks: ['vdz'] }],
    ['synchronous writes without copy-storage', { live: true, copyStorageSynchronousWrites: true }],
    ['tunnelled with parallel', { live: true, p2p: true, tunnelled: true, parallel: true }],
    ['a migration URI of an unsupported scheme', { live: true, migrateUri: 'udp://127.0.0.2:49999' }],
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

  // copy-storage onto a volume the destination already has: libvirt skips pre-creation
  // (qemuMigrationDstPrecreateStorage) and the destination QEMU opens it as the disk's format;
  // the NBD mirror then writes the source's whole virtual size into it.
  const existingTargets: [string, string, string | undefined][] = [
    [
      'copied disk onto a smaller existing volume',
      "<capacity unit='MiB'>8</capacity><target><format type='qcow2'/>",
      'storage.copy-target',
    ],
    [
      'copied disk onto a larger existing volume',
      "<capacity unit='MiB'>32</capacity><target><format type='qcow2'/>",
      'storage.copy-target',
    ],
    [
      'copied disk onto an existing raw volume (the disk is qcow2)',
      "<capacity unit='MiB'>16</capacity><target><format type='raw'/>",
      'storage.copy-target',
    ],
    [
      'copied disk onto an existing volume of its size and format',
      "<capacity unit='MiB'>16</capacity><target><format type='qcow2'/>",
      undefined,
    ],
  ];
  for (const [label, volume, blocker] of existingTargets) {
    it(`${label}: ${blocker ? `blocked by ${blocker}, and the copy fails` : 'allowed, and the copy succeeds'}`, async () => {
      await withLabGuest([hosts.h1, hosts.h2], 'acc-exist', { localDisk: true }, async (dom, name) => {
        await hosts.h2.createStorageVolume(
          LOCAL_POOL,
          `<volume><name>${name}.qcow2</name>${volume}<permissions><mode>0660</mode></permissions></target></volume>`,
        );
        // A size that is not the source's fails only when the NBD mirror starts (Perform): Prepare opens the volume.
        const sizeOnly = label.includes('smaller') || label.includes('larger');
        await judge(
          label,
          dom,
          hosts.h2,
          { live: true, copyStorageAll: true },
          {
            ...(blocker ? { blockedBy: blocker } : {}),
            ...(sizeOnly ? { rehearsalBlind: 'the sizes are compared when drive-mirror starts, at Perform' } : {}),
          },
        );
      });
    });
  }

  // --xml: libvirt's ABI stability check (virDomainDefCheckABIStabilityFlags) at Begin.
  const destXmlCases: [string, (xml: string) => string, string | undefined][] = [
    [
      '--xml with one more vCPU',
      (x) => x.replace(/(<vcpu[^>]*>)(\d+)</, (_, t: string, n: string) => `${t}${Number(n) + 1}<`),
      'migration.flags',
    ],
    [
      '--xml with a balloon the guest has not',
      (x) => x.replace("<memballoon model='none'/>", "<memballoon model='virtio'/>"),
      'migration.flags',
    ],
    ['--xml without its device addresses', (x) => x.replace(/<address [^>]*\/>/g, ''), undefined],
  ];
  for (const [label, edit, blocker] of destXmlCases) {
    it(`${label}: ${blocker ? `blocked by ${blocker}, and libvirt refuses` : 'allowed, and the real migration succeeds'}`, async () => {
      await withLabGuest([hosts.h1, hosts.h2], 'acc-xml', {}, async (dom) => {
        const destXml = edit(await dom.getXMLDesc(constants.VIR_DOMAIN_XML_MIGRATABLE!));
        const row = await judge(label, dom, hosts.h2, { live: true, destXml }, blocker ? { blockedBy: blocker } : {});
        if (blocker) expect(row.realError).toMatch(/does not match source/);
      });
    });
  }

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

/**
 * The refusal table's rows (docs/accuracy.md) as an operator meets them: the
 * verdict of `pmc check --json`, then `virsh migrate` with the same options and
 * no checks. Blocked if and only if libvirt fails; failing warnings are named
 * too, and never block without `--strict`.
 */
describe('accuracy: pmc check --json against virsh migrate', () => {
  const hosts = useLabHosts(lab);
  const h1 = host(lab, 'host-1');
  const h2 = host(lab, 'host-2');
  const layout = labLayout({ id: lab.id });
  /** A directory both hosts see and no pool holds, writable by both hosts' users (not sticky: fs.protected_regular). */
  let outside: string;
  const rows: {
    case: string;
    verdict: string;
    blockedBy: string;
    warnings: string;
    real: string;
    rehearsal: string;
  }[] = [];

  afterAll(() => {
    if (outside) rmSync(outside, { recursive: true, force: true });
    console.log(
      '\naccuracy table, pmc check --json vs virsh migrate (case | verdict | blocked by | failing warnings | real | rehearsal)',
    );
    for (const r of rows)
      console.log(
        `${r.case} | ${r.verdict} | ${r.blockedBy || '-'} | ${r.warnings || '-'} | ${r.real} | ${r.rehearsal}`,
      );
    const agree = rows.filter((r) => (r.verdict === 'blocked') === r.real.startsWith('failed')).length;
    console.log(`agreement: ${agree}/${rows.length}`);
  });

  /** A directory in host-1's own view of the lab's `local` path: host-2 has no such directory. */
  function sourceOnlyDir(name: string): string {
    const hostDir = layout.hosts.find((x) => x.name === 'host-1')!.privateLocalDir;
    const info = lab.hosts.find((x) => x.name === 'host-1')!;
    mkdirSync(path.join(hostDir, name), { recursive: true });
    chownSync(path.join(hostDir, name), info.uid, -1);
    return path.join(lab.localPath, name);
  }

  /** A file both hosts' users may open for writing (group lab members differ in user). */
  function writableFile(file: string): string {
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    return file;
  }

  /** The lab guest with `devices` in place of its null serial line. */
  function guestWith(name: string, devices: string): string {
    return labGuestXml(name).replace("<serial type='null'/>", devices);
  }

  async function judgeCli(
    label: string,
    name: string,
    args: string[],
    expected: { blockedBy?: string[]; warnings?: string[]; realError?: RegExp; rehearsalBlind?: string },
  ): Promise<void> {
    const migrateUri = ['--migrateuri', h2.migrationUri];
    const checked = await runPmc(['-c', h1.uri, 'check', '--json', ...args, ...migrateUri, name, h2.uri]);
    const report = parseReport<Report>(checked.stdout);
    // The rehearsal alone: every built-in skipped, so none keeps it from running.
    const skipAll = report.checks.flatMap((c) => ['--skip-check', c.name]);
    const rehearsed = await runPmc([
      '-c',
      h1.uri,
      'check',
      '--json',
      '--rehearse',
      ...skipAll,
      ...args,
      ...migrateUri,
      name,
      h2.uri,
    ]);
    const rehearsal = rehearsalColumn(parseReport<Report>(rehearsed.stdout));
    const blockedBy = criticalFailures(report);
    const warnings = report.checks
      .filter((c) => c.severity === 'warning' && c.status === 'fail')
      .map((c) => c.name)
      .sort();
    const real = await execFileAsync('virsh', ['-c', h1.uri, 'migrate', ...args, ...migrateUri, name, h2.uri], {
      timeout: 120_000,
    }).then(
      () => null,
      (e: Error & { stderr?: string }) => (e.stderr ?? e.message).trim().replace(/\s+/g, ' '),
    );
    rows.push({
      case: label,
      verdict: report.verdict,
      blockedBy: blockedBy.join(', '),
      warnings: warnings.join(', '),
      real: real === null ? 'succeeded' : `failed (${real})`,
      rehearsal: expectRehearsalAgrees(label, rehearsal, real !== null, expected.rehearsalBlind),
    });
    const detail = JSON.stringify(report.checks.filter((c) => c.status !== 'pass' && c.status !== 'skipped'));
    expect(blockedBy, `${label}: ${detail}`).toEqual([...(expected.blockedBy ?? [])].sort());
    for (const w of expected.warnings ?? []) expect(warnings, `${label}: ${detail}`).toContain(w);
    // Blocked if and only if libvirt fails.
    expect(real === null ? 'succeeded' : `failed: ${real}`).toMatch(
      report.verdict === 'blocked' ? /^failed/ : /^succeeded$/,
    );
    if (expected.realError) expect(real).toMatch(expected.realError);
    expect(await whereRuns(lab, name)).toEqual([real === null ? 'host-2' : 'host-1']);
  }

  async function withGuest(prefix: string, xml: (name: string) => string, body: (name: string) => Promise<void>) {
    const name = uniqueName(prefix);
    try {
      await hosts.h1.createDomain(xml(name));
      await body(name);
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
    }
  }

  it('a serial log in a directory only the source has: blocked by host.paths, and the destination QEMU cannot open it', async () => {
    await withGuest(
      'acc-serial-log',
      (name) =>
        guestWith(
          name,
          `<serial type='pty'><log file='${sourceOnlyDir(name)}/serial.log'/><target port='0'/></serial>`,
        ),
      (name) =>
        judgeCli('serial log, directory only on the source', name, ['--live'], {
          blockedBy: ['host.paths'],
          realError: /serial\.log/,
        }),
    );
  });

  it('a serial log in the shared directory: allowed, and the real migration succeeds', async () => {
    await withGuest(
      'acc-serial-shared',
      (name) =>
        guestWith(
          name,
          `<serial type='pty'><log file='${writableFile(path.join(lab.sharedPath, `${name}.log`))}'/><target port='0'/></serial>`,
        ),
      async (name) => {
        try {
          await judgeCli('serial log in a directory both have', name, ['--live'], {});
        } finally {
          rmSync(path.join(lab.sharedPath, `${name}.log`), { force: true });
        }
      },
    );
  });

  it('a serial file outside every pool: "not verifiable" (a warning), and the real migration succeeds', async () => {
    outside ??= mkdtempSync(path.join(tmpdir(), 'pmc-acc-'));
    chmodSync(outside, 0o777);
    await withGuest(
      'acc-serial-outside',
      (name) =>
        guestWith(
          name,
          `<serial type='file'><source path='${writableFile(path.join(outside, `${name}.out`))}'/><target port='0'/></serial>`,
        ),
      (name) => judgeCli('serial file outside every pool', name, ['--live'], { warnings: ['host.paths-verifiable'] }),
    );
  });

  const cdrom = (image: string, policy: string) =>
    `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${image}'${policy}/>` +
    `<target dev='hdc' bus='ide'/><readonly/></disk><serial type='null'/>`;

  it('a CD-ROM image only the source has: blocked by host.paths, and libvirt cannot access it there', async () => {
    await withGuest(
      'acc-cdrom',
      (name) => guestWith(name, cdrom(createPrivateImage(lab, 'host-1', name, 'cd.iso'), '')),
      (name) =>
        judgeCli('CD-ROM image only on the source', name, ['--live'], {
          blockedBy: ['host.paths'],
          realError: /cd\.iso/,
        }),
    );
  });

  it("the same CD-ROM with startupPolicy='optional': a storage.cdrom warning, and libvirt drops the medium", async () => {
    await withGuest(
      'acc-cdrom-opt',
      (name) => guestWith(name, cdrom(createPrivateImage(lab, 'host-1', name, 'cd.iso'), " startupPolicy='optional'")),
      async (name) => {
        await judgeCli("CD-ROM only on the source, startupPolicy='optional'", name, ['--live'], {
          warnings: ['storage.cdrom'],
        });
        const moved = await hosts.h2.lookupDomainByName(name);
        expect(await moved.getXMLDesc()).not.toMatch(/cd\.iso/);
      },
    );
  });

  it('a read-only disk image only the source has: blocked by host.paths (storage.shared skips read-only disks)', async () => {
    await withGuest(
      'acc-rodisk',
      (name) =>
        guestWith(
          name,
          `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${createPrivateImage(lab, 'host-1', name, 'ro.qcow2')}'/>` +
            `<target dev='vdb' bus='virtio'/><readonly/></disk><serial type='null'/>`,
        ),
      (name) =>
        judgeCli('read-only disk only on the source', name, ['--live'], {
          blockedBy: ['host.paths'],
          realError: /ro\.qcow2/,
        }),
    );
  });

  it('a transient disk: blocked by devices.migratable (and storage.shared), and libvirt refuses', async () => {
    await withGuest(
      'acc-transient',
      (name) =>
        guestWith(
          name,
          `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${createPrivateImage(lab, 'host-1', name, 'tr.qcow2')}'/>` +
            `<target dev='vdb' bus='virtio'/><transient/></disk><serial type='null'/>`,
        ),
      (name) =>
        judgeCli('transient disk', name, ['--live'], {
          blockedBy: ['devices.migratable', 'storage.shared'],
          realError: /transient disk/,
        }),
    );
  });

  it('a 9p filesystem export only the source has: blocked by host.paths, and QEMU cannot export it there', async () => {
    await withGuest(
      'acc-9p',
      (name) =>
        guestWith(
          name,
          `<filesystem type='mount' accessmode='mapped'><source dir='${sourceOnlyDir(name)}'/><target dir='pmc'/></filesystem><serial type='null'/>`,
        ),
      (name) => judgeCli('9p export only on the source', name, ['--live'], { blockedBy: ['host.paths'] }),
    );
  });

  it('an ivshmem-plain device without role master: blocked by devices.migratable, and libvirt refuses', async () => {
    await withGuest(
      'acc-shmem',
      (name) =>
        guestWith(
          name,
          `<shmem name='${name}'><model type='ivshmem-plain'/><size unit='M'>1</size></shmem><serial type='null'/>`,
        ),
      (name) =>
        judgeCli('shmem without role master', name, ['--live'], {
          blockedBy: ['devices.migratable'],
          realError: /cannot migrate domain/,
        }),
    );
  });

  it('a LUKS disk whose secret only the source has: blocked by secrets.present; with the secret on both, it migrates', async () => {
    const uuid = randomUUID();
    const passphrase = 'pmc-accuracy';
    const name = uniqueName('acc-secret');
    // A LUKS-encrypted qcow2 in the shared directory, readable by both hosts' users (the lab group), and
    // listed by host-2's pool, so that only the secret differs between the hosts.
    const image = path.join(lab.sharedPath, `${name}.qcow2`);
    const create = [
      ...['create', '-q', '-f', 'qcow2', '--object', `secret,id=sec0,data=${passphrase}`],
      ...['-o', 'encrypt.format=luks,encrypt.key-secret=sec0', image, '16M'],
    ];
    // LUKS times its key derivation by the thread's CPU clock; on a loaded machine qemu-img can
    // give up ("Unable to get accurate CPU usage", seen once in CI): that one error is tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        execFileSync('qemu-img', create, { stdio: ['ignore', 'ignore', 'pipe'] });
        break;
      } catch (error) {
        const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
        if (attempt === 3 || !stderr.includes('Unable to get accurate CPU usage')) throw error;
      }
    }
    chownSync(image, lab.hosts.find((x) => x.name === 'host-1')!.uid, statSync(lab.sharedPath).gid);
    chmodSync(image, 0o660);
    const virsh = (uri: string, ...args: string[]) => execFileAsync('virsh', ['-c', uri, ...args]);
    const secretFile = path.join(mkdtempSync(path.join(tmpdir(), 'pmc-secret-')), 'secret.xml');
    writeFileSync(
      secretFile,
      `<secret ephemeral='no' private='yes'><uuid>${uuid}</uuid><usage type='volume'><volume>${image}</volume></usage></secret>`,
    );
    const defineSecret = async (uri: string) => {
      await virsh(uri, 'secret-define', secretFile);
      await virsh(uri, 'secret-set-value', uuid, '--base64', Buffer.from(passphrase).toString('base64'));
    };
    const disk =
      `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${image}'>` +
      `<encryption format='luks'><secret type='passphrase' uuid='${uuid}'/></encryption></source>` +
      `<target dev='vdb' bus='virtio'/></disk><serial type='null'/>`;
    try {
      await defineSecret(h1.uri);
      await virsh(h2.uri, 'pool-refresh', SHARED_POOL);
      // A directory shared without a shared filesystem: --unsafe, as in "shared directory with unsafe, …".
      await withGuest(
        'acc-secret',
        (n) => guestWith(n, disk),
        (n) =>
          judgeCli('encrypted disk, secret only on the source', n, ['--live', '--unsafe'], {
            blockedBy: ['secrets.present'],
            realError: new RegExp(uuid),
          }),
      );
      await defineSecret(h2.uri);
      await withGuest(
        'acc-secret-both',
        (n) => guestWith(n, disk),
        (n) => judgeCli('encrypted disk, secret on both hosts', n, ['--live', '--unsafe'], {}),
      );
    } finally {
      for (const uri of [h1.uri, h2.uri]) await virsh(uri, 'secret-undefine', uuid).catch(() => undefined);
      rmSync(path.dirname(secretFile), { recursive: true, force: true });
      rmSync(image, { force: true });
      await virsh(h2.uri, 'pool-refresh', SHARED_POOL).catch(() => undefined);
    }
  }, 300_000); // two guests, each checked, rehearsed and migrated; QEMU's LUKS key derivation makes the rehearsal of the second take 14 s on this loaded machine (110 s in all)

  // A direct-boot kernel (the dirtying guest's, idle once its RAM is filled): QEMU loads it when it starts,
  // on the destination too, before any migration data arrives.
  const kernelGuest = (name: string, kernel: string) => dirtierXml({ name, memoryMiB: 128, rateKiB: 0 }, kernel);

  it('a kernel only the source has: blocked by host.paths, and the destination QEMU cannot load it', async () => {
    const built = buildDirtier(layout);
    await withGuest(
      'acc-kernel',
      (name) => {
        const kernel = path.join(sourceOnlyDir(name), 'dirtier.elf');
        copyFileSync(
          built,
          path.join(layout.hosts.find((x) => x.name === 'host-1')!.privateLocalDir, name, 'dirtier.elf'),
        );
        return kernelGuest(name, kernel);
      },
      (name) =>
        judgeCli('kernel only on the source', name, ['--live'], {
          blockedBy: ['host.paths'],
          realError: /dirtier\.elf/,
        }),
    );
  });

  it('a kernel in the shared directory: allowed, and the real migration succeeds', async () => {
    const name = uniqueName('acc-kernel-shared');
    const kernel = path.join(lab.sharedPath, `${name}.elf`);
    copyFileSync(buildDirtier(layout), kernel);
    chmodSync(kernel, 0o644);
    try {
      // Listed by host-2's pool, so host.paths finds it there.
      await execFileAsync('virsh', ['-c', h2.uri, 'pool-refresh', SHARED_POOL]);
      await withGuest(
        'acc-kernel-shared',
        (n) => kernelGuest(n, kernel),
        (n) => judgeCli('kernel in a directory both have', n, ['--live'], {}),
      );
    } finally {
      rmSync(kernel, { force: true });
      await execFileAsync('virsh', ['-c', h2.uri, 'pool-refresh', SHARED_POOL]).catch(() => undefined);
    }
  });

  /** A lab guest with a fw_cfg blob read from `file` (qemuBuildSysinfoCommandLine: -fw_cfg name=…,file=…). */
  const fwCfgGuest = (name: string, file: string) =>
    labGuestXml(name).replace(
      '<vcpu>1</vcpu>',
      `<vcpu>1</vcpu><sysinfo type='fwcfg'><entry name='opt/org.libvirt-pmc/blob' file='${file}'/></sysinfo>`,
    );

  it('a fw_cfg blob only the source has: blocked by host.paths, and the destination QEMU cannot read it', async () => {
    await withGuest(
      'acc-fwcfg',
      (name) => {
        const hostDir = layout.hosts.find((x) => x.name === 'host-1')!.privateLocalDir;
        const blob = path.join(sourceOnlyDir(name), 'blob.ign');
        writeFileSync(path.join(hostDir, name, 'blob.ign'), '{"ignition":{}}\n', { mode: 0o644 });
        return fwCfgGuest(name, blob);
      },
      (name) =>
        judgeCli('fw_cfg blob only on the source', name, ['--live'], {
          blockedBy: ['host.paths'],
          realError: /blob\.ign/,
        }),
    );
  });

  it('a fw_cfg blob in the shared directory: allowed, and the real migration succeeds', async () => {
    const name = uniqueName('acc-fwcfg-shared');
    const blob = path.join(lab.sharedPath, `${name}.ign`);
    writeFileSync(blob, '{"ignition":{}}\n', { mode: 0o644 });
    chmodSync(blob, 0o644);
    try {
      await execFileAsync('virsh', ['-c', h2.uri, 'pool-refresh', SHARED_POOL]);
      await withGuest(
        'acc-fwcfg-shared',
        (n) => fwCfgGuest(n, blob),
        (n) => judgeCli('fw_cfg blob in a directory both have', n, ['--live'], {}),
      );
    } finally {
      rmSync(blob, { force: true });
      await execFileAsync('virsh', ['-c', h2.uri, 'pool-refresh', SHARED_POOL]).catch(() => undefined);
    }
  });

  const flagRows: [string, string[], RegExp][] = [
    ['zero-copy without parallel', ['--live', '--zerocopy'], /zero-copy is only available for parallel/],
  ];
  for (const [label, args, realError] of flagRows) {
    it(`${label}: blocked by migration.flags, and libvirt refuses`, async () => {
      await withGuest(
        'acc-flag',
        (name) => labGuestXml(name),
        (name) => judgeCli(label, name, args, { blockedBy: ['migration.flags'], realError }),
      );
    });
  }
});
