/** Successful migrations between the lab's two hosts, each undone before the next test. */
import { describe, expect, inject, it } from 'vitest';
import { constants, LibvirtError } from '../../src/index.js';
import { LAB_VM, LAB_VM_DISK } from '../../src/lab/index.js';
import { expectRunsOnlyOn, host, useLabHosts, whereDefined } from '../helpers/lab.js';
import { listenersIn } from '../helpers/listeners.js';

const lab = inject('lab');
const LIVE = constants.VIR_MIGRATE_LIVE!;
const PERSIST_DEST = constants.VIR_MIGRATE_PERSIST_DEST!;
const UNDEFINE_SOURCE = constants.VIR_MIGRATE_UNDEFINE_SOURCE!;
const COPY_STORAGE_ALL = constants.VIR_MIGRATE_NON_SHARED_DISK!;
const to1 = { uri: host(lab, 'host-1').migrationUri };
const to2 = { uri: host(lab, 'host-2').migrationUri };

describe('migration between the lab hosts', () => {
  const hosts = useLabHosts(lab);

  it('has two distinct hosts: hostnames and host UUIDs differ', async () => {
    const [n1, n2] = await Promise.all([hosts.h1.getHostname(), hosts.h2.getHostname()]);
    expect([n1, n2]).toEqual([host(lab, 'host-1').hostname, host(lab, 'host-2').hostname]);
    const uuids = await Promise.all(
      [hosts.h1, hosts.h2].map(async (c) => (await c.getCapabilities()).match(/<uuid>([^<]+)<\/uuid>/)?.[1]),
    );
    expect(uuids).toEqual(lab.hosts.slice(0, 2).map((h) => h.hostUUID));
    const dom = await hosts.h1.lookupDomainByName(LAB_VM);
    const cpu = (await dom.getXMLDesc()).match(/<cpu[\s\S]*?<\/cpu>/)![0];
    // The guest's own virt type (qemu): compared against KVM the answer would be about another hypervisor.
    expect(await hosts.h2.compareHypervisorCPU(cpu, { virttype: 'qemu' })).not.toBe('incompatible');
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('live-migrates lab-vm to host 2 and back', async () => {
    const dom = await hosts.h1.lookupDomainByName(LAB_VM);
    const there = await dom.migrate3(hosts.h2, to2, LIVE);
    expect(there.uuid).toBe(dom.uuid);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-2');

    await there.migrate3(hosts.h1, to1, LIVE);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('with persist-dest and undefine-source, leaves lab-vm defined on host 2 only', async () => {
    const flags = LIVE | PERSIST_DEST | UNDEFINE_SOURCE;
    const there = await (await hosts.h1.lookupDomainByName(LAB_VM)).migrate3(hosts.h2, to2, flags);
    try {
      expect(await whereDefined(lab, LAB_VM)).toEqual(['host-2']);
      await expect(hosts.h1.lookupDomainByName(LAB_VM)).rejects.toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
      await expectRunsOnlyOn(lab, LAB_VM, 'host-2');
    } finally {
      await there.migrate3(hosts.h1, to1, flags);
    }
    expect(await whereDefined(lab, LAB_VM)).toEqual(['host-1']);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('copies lab-vm-disk’s disk to host 2 (copy-storage-all) and runs it there', async () => {
    const dom = await hosts.h1.lookupDomainByName(LAB_VM_DISK);
    const disk = (await dom.getXMLDesc()).match(/<source file='([^']+)'/)![1]!;
    // Host 2 sees its own directory at the same path: the disk is not there yet.
    await expect(hosts.h2.lookupStorageVolByPath(disk)).rejects.toBeInstanceOf(LibvirtError);

    const there = await dom.migrate3(hosts.h2, to2, LIVE | COPY_STORAGE_ALL);
    try {
      const copy = await hosts.h2.lookupStorageVolByPath(disk);
      expect(copy).toMatchObject({ pool: 'local', capacity: 64 * 1024 * 1024 });
      await expectRunsOnlyOn(lab, LAB_VM_DISK, 'host-2');
    } finally {
      await there.migrate3(hosts.h1, to1, LIVE | COPY_STORAGE_ALL);
      await hosts.h2.deleteStorageVolume(disk);
    }
    await expectRunsOnlyOn(lab, LAB_VM_DISK, 'host-1');
  });

  it('migrates without a migrate URI, the destination listening on loopback only (migration and NBD)', async () => {
    const ports = host(lab, 'host-2').libvirtPorts;
    /** Migrates to host 2 with no URI while sampling host 2's listening sockets. */
    async function watched(name: string, params: { bandwidth?: number }, flags: number) {
      const migrating = (await hosts.h1.lookupDomainByName(name)).migrate3(hosts.h2, params, flags);
      let finished = false;
      void migrating.finally(() => (finished = true)).catch(() => undefined);
      const seen = new Set<string>();
      while (!finished) {
        for (const l of listenersIn(ports)) seen.add(l);
        await new Promise((r) => setTimeout(r, 5));
      }
      return { there: await migrating, seen: [...seen] };
    }

    // 1 MiB/s keeps the migration listener open for a few hundred ms.
    const live = await watched(LAB_VM, { bandwidth: 1 }, LIVE);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-2');
    await live.there.migrate3(hosts.h1, {}, LIVE);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
    expect(live.seen.length).toBeGreaterThanOrEqual(1);

    // Full speed: the disk may be fully allocated by earlier copies; NBD listens while it is copied.
    const disk = (await (await hosts.h1.lookupDomainByName(LAB_VM_DISK)).getXMLDesc()).match(
      /<source file='([^']+)'/,
    )![1]!;
    const copy = await watched(LAB_VM_DISK, {}, LIVE | COPY_STORAGE_ALL);
    try {
      await expectRunsOnlyOn(lab, LAB_VM_DISK, 'host-2');
    } finally {
      await copy.there.migrate3(hosts.h1, {}, LIVE | COPY_STORAGE_ALL);
      await hosts.h2.deleteStorageVolume(disk);
    }
    await expectRunsOnlyOn(lab, LAB_VM_DISK, 'host-1');
    expect(copy.seen.length).toBeGreaterThanOrEqual(2); // the migration stream and the NBD server

    for (const listener of [...live.seen, ...copy.seen]) {
      expect(listener).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/); // loopback, not 0.0.0.0 or [::]
    }
  });

  it('reports growing job statistics during a migration', async () => {
    const dom = await hosts.h1.lookupDomainByName(LAB_VM);
    let finished = false;
    // 1 MiB/s stretches the memory phase over a few hundred ms.
    const migrating = dom.migrate3(hosts.h2, { ...to2, bandwidth: 1 }, LIVE).finally(() => {
      finished = true;
    });
    const processed: number[] = [];
    while (!finished) {
      const { type, stats } = await dom
        .getJobStats()
        .catch(() => ({ type: 'none', stats: {} as Record<string, unknown> }));
      if (type === 'unbounded' && typeof stats.data_processed === 'number') processed.push(stats.data_processed);
      await new Promise((r) => setTimeout(r, 20));
    }
    const there = await migrating;
    await there.migrate3(hosts.h1, to1, LIVE);

    const moving = processed.filter((n) => n > 0);
    expect(moving.length).toBeGreaterThanOrEqual(2);
    expect(moving.at(-1)!).toBeGreaterThan(moving[0]!);
    expect(moving).toEqual([...moving].sort((a, b) => a - b)); // never goes back
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
});
