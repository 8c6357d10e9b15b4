import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, LibvirtError, constants } from '../../src/index.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { rejection } from '../helpers/errors.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';

describe('Connection on the test driver', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b' });

  it('reads the two crafted hosts apart', async () => {
    const [infoA, infoB] = await Promise.all([hosts.a.getNodeInfo(), hosts.b.getNodeInfo()]);
    expect(infoA).toMatchObject({ cpus: 8, memoryKiB: 16777216, cores: 4, threads: 2 });
    expect(infoB).toMatchObject({ cpus: 2, memoryKiB: 4194304, cores: 2, threads: 1 });
    expect(await hosts.a.getType()).toBe('TEST');
    expect(await hosts.a.getURI()).toBe(fixtureUri('host-a'));
    expect((await hosts.a.getLibVersion()).major).toBeGreaterThanOrEqual(9);
    expect(await hosts.a.isAlive()).toBe(true);
    expect(typeof (await hosts.a.getHostname())).toBe('string');
  });

  it('lists and looks up domains by name, UUID and id', async () => {
    const names = (await hosts.a.listAllDomains()).map((d) => d.name).sort();
    expect(names).toEqual(['guest-big', 'guest1']);
    const byName = await hosts.a.lookupDomainByName('guest1');
    expect(byName.uuid).toBe('4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01');
    const byUuid = await hosts.a.lookupDomainByUUID(byName.uuid);
    expect(byUuid.name).toBe('guest1');
    const id = await byName.getID();
    expect((await hosts.a.lookupDomainByID(id)).name).toBe('guest1');
    expect((await hosts.b.listAllDomains()).map((d) => d.name)).toEqual(['resident']);
  });

  it('sees networks, pools and volumes', async () => {
    expect((await hosts.a.lookupNetworkByName('prod')).bridge).toBe('br-prod');
    expect((await hosts.b.listAllNetworks()).map((n) => n.name)).toEqual(['backup']);
    const pools = await hosts.b.listAllStoragePools();
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({ name: 'images', active: true, available: 1024 ** 3 });
    const vol = await hosts.a.lookupStorageVolByPath('/var/lib/pmc-a/images/guest1.qcow2');
    expect(vol).toMatchObject({ name: 'guest1.qcow2', pool: 'images', capacity: 10 * 1024 ** 3 });
  });

  it('rejects an unknown domain with VIR_ERR_NO_DOMAIN and the caller stack', async () => {
    const error = await hosts.a.lookupDomainByName('no-such-guest').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibvirtError);
    expect(error).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN', domain: 'VIR_FROM_TEST', level: 'error' });
    expect((error as Error).stack).toContain('connection.test.ts');
  });

  it('rejects a bad URI', async () => {
    const missing = await Connection.open('test:///no/such/node.xml').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(LibvirtError);
    expect(missing).toMatchObject({ code: 'VIR_ERR_XML_ERROR', domain: 'VIR_FROM_TEST' });
    const refused = await Connection.open('qemu+tcp://127.0.0.1:1/system').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'VIR_ERR_SYSTEM_ERROR', domain: 'VIR_FROM_RPC' });
  });

  it('closes idempotently and rejects calls on a closed connection', async () => {
    const c = await Connection.open('test:///default');
    const dom = await c.lookupDomainByName('test');
    await c.close();
    await c.close();
    expect(c.isOpen).toBe(false);
    await expect(c.getHostname()).rejects.toMatchObject({ code: 'VIR_ERR_INVALID_CONN' });
    await expect(dom.getInfo()).rejects.toMatchObject({ code: 'VIR_ERR_INVALID_CONN' });
  });
});

const noSupport = { code: 'VIR_ERR_NO_SUPPORT', number: 3, domain: 'VIR_FROM_DOMAIN', level: 'error' };

describe('Connection host facts', () => {
  let def: Connection;
  let a: Connection;
  let b: Connection;

  beforeAll(async () => {
    [def, a, b] = await Promise.all([
      Connection.open('test:///default'),
      Connection.open(fixtureUri('host-a')),
      Connection.open(fixtureUri('host-b')),
    ]);
  });
  afterAll(async () => {
    await Promise.all([def.close(), a.close(), b.close()]);
  });

  it('reports versions, hostname and URI', async () => {
    // The test driver's hypervisor version is 0.0.2.
    expect(await a.getHypervisorVersion()).toEqual({ major: 0, minor: 0, release: 2, number: 2 });
    const lib = await a.getLibVersion();
    expect(lib.number).toBe(lib.major * 1_000_000 + lib.minor * 1000 + lib.release);
    expect(lib.major).toBeGreaterThanOrEqual(9);
    expect(await def.getURI()).toBe('test:///default');
    expect((await a.getHostname()).length).toBeGreaterThan(0);
    expect(await b.isAlive()).toBe(true);
  });

  it('returns the capabilities XML', async () => {
    const caps = await a.getCapabilities();
    expect(caps).toMatch(/^<capabilities>/);
    expect(caps).toContain('<emulator>/usr/bin/test-hv</emulator>');
    expect(caps).toContain("<pages unit='KiB' size='2048'/>");
  });

  it('answers domain capabilities with VIR_ERR_NO_SUPPORT on the test driver', async () => {
    expect(await rejection(a.getDomainCapabilities({ arch: 'x86_64', virttype: 'kvm' }))).toMatchObject(noSupport);
    expect((await rejection(a.getDomainCapabilities())).message).toContain('virConnectGetDomainCapabilities');
  });

  it('reads node info of test:///default', async () => {
    expect(await def.getNodeInfo()).toEqual({
      model: 'i686',
      memoryKiB: 3145728,
      cpus: 16,
      mhz: 1400,
      nodes: 2,
      sockets: 2,
      cores: 2,
      threads: 2,
    });
    expect((await b.getNodeInfo()).mhz).toBe(2000);
  });

  it('reads free memory: test:///default answers, a node file without NUMA cells fails', async () => {
    // The test driver answers with its node's memory figure (3145728, the same
    // number getNodeInfo reports in KiB), not a sum of its cells.
    expect(await def.getFreeMemory()).toBe(3145728);
    // The test driver returns 0 without an error for a host without cells; libvirt's
    // API turns that into its generic "cause is unknown" error.
    expect(await rejection(a.getFreeMemory())).toMatchObject({
      code: 'VIR_ERR_INTERNAL_ERROR',
      domain: 'VIR_FROM_NONE',
    });
  });

  it('reads per-cell free memory: two cells on test:///default, none on a node file', async () => {
    expect(await def.getCellsFreeMemory()).toEqual([2097152, 4194304]);
    expect(await def.getCellsFreeMemory(1, 1)).toEqual([4194304]);
    expect(await rejection(a.getCellsFreeMemory())).toMatchObject({
      code: 'VIR_ERR_INVALID_ARG',
      domain: 'VIR_FROM_TEST',
    });
  });

  it('reads free pages for given page sizes (the test driver fills counts but reports 0 entries)', async () => {
    // virNodeGetFreePages returns the number of entries filled; the test driver
    // returns 0 (while writing counts), so there is no cell to report. The QEMU
    // driver's answer is covered by the lab e2e tests.
    expect(await def.getFreePages([4, 2048], 0, 2)).toEqual([]);
    expect(() => def.getFreePages([], 0, 1)).toThrow(RangeError);
  });

  it('answers CPU comparison and baseline with VIR_ERR_NO_SUPPORT on the test driver', async () => {
    const cpu = '<cpu><arch>x86_64</arch><model>qemu64</model></cpu>';
    expect(await rejection(a.compareHypervisorCPU(cpu, { virttype: 'kvm' }))).toMatchObject(noSupport);
    expect(await rejection(a.baselineHypervisorCPU([cpu, cpu]))).toMatchObject(noSupport);
  });

  it('lists domains by flag (active, inactive, persistent)', async () => {
    const c = await Connection.open(fixtureUri('host-a')); // private state: this test defines a domain
    try {
      await c.defineDomain(
        '<domain type="test"><name>spare</name><memory unit="MiB">256</memory><os><type>hvm</type></os></domain>',
      );
      const names = async (flags: number) => (await c.listAllDomains(flags)).map((d) => d.name).sort();
      expect(await names(0)).toEqual(['guest-big', 'guest1', 'spare']);
      expect(await names(constants.VIR_CONNECT_LIST_DOMAINS_ACTIVE!)).toEqual(['guest-big', 'guest1']);
      expect(await names(constants.VIR_CONNECT_LIST_DOMAINS_INACTIVE!)).toEqual(['spare']);
      expect(await names(constants.VIR_CONNECT_LIST_DOMAINS_PERSISTENT!)).toEqual(['guest-big', 'guest1', 'spare']);
      expect(await names(constants.VIR_CONNECT_LIST_DOMAINS_TRANSIENT!)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('looks up domains by id and rejects unknown ones with VIR_ERR_NO_DOMAIN', async () => {
    const guest = await def.lookupDomainByID(1);
    expect(guest.name).toBe('test');
    expect(await rejection(def.lookupDomainByID(999))).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
    expect(await rejection(a.lookupDomainByUUID('00000000-0000-4000-8000-000000000000'))).toMatchObject({
      code: 'VIR_ERR_NO_DOMAIN',
    });
  });

  it('describes networks (name, uuid, active, persistent, bridge, xml) and filters active ones', async () => {
    const prod = await a.lookupNetworkByName('prod');
    expect(prod).toMatchObject({
      name: 'prod',
      uuid: '9c1d3e8a-5b2f-4c77-8e10-1a2b3c4d5e01',
      active: true,
      persistent: true,
      bridge: 'br-prod',
    });
    expect(prod.xml).toContain('<name>prod</name>');
    expect((await a.listAllNetworks(constants.VIR_CONNECT_LIST_NETWORKS_ACTIVE!)).map((n) => n.name)).toEqual(['prod']);
    expect(await a.listAllNetworks(constants.VIR_CONNECT_LIST_NETWORKS_INACTIVE!)).toEqual([]);
    expect(await rejection(b.lookupNetworkByName('prod'))).toMatchObject({ code: 'VIR_ERR_NO_NETWORK' });
  });

  it('lists storage pools with capacity, allocation and available', async () => {
    const pools = Object.fromEntries((await a.listAllStoragePools()).map((p) => [p.name, p]));
    expect(Object.keys(pools).sort()).toEqual(['images', 'iso']);
    // The test driver reports 100 GiB per pool and counts the volumes' allocation.
    expect(pools.images).toMatchObject({
      active: true,
      persistent: true,
      state: 'running',
      capacity: 100 * 1024 ** 3,
      allocation: 2 * 1024 ** 3,
      available: 98 * 1024 ** 3,
    });
    expect(pools.iso).toMatchObject({ capacity: 100 * 1024 ** 3, allocation: 0, available: 100 * 1024 ** 3 });
    const [small] = await b.listAllStoragePools(constants.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE!);
    expect(small).toMatchObject({ name: 'images', allocation: 99 * 1024 ** 3, available: 1024 ** 3 });
  });

  it('looks up a storage volume by path and rejects an unknown path', async () => {
    expect(await a.lookupStorageVolByPath('/var/lib/pmc-a/images/guest1.qcow2')).toMatchObject({
      key: '/var/lib/pmc-a/images/guest1.qcow2',
      type: 'file',
      allocation: 2 * 1024 ** 3,
    });
    expect(await rejection(b.lookupStorageVolByPath('/var/lib/pmc-a/images/guest1.qcow2'))).toMatchObject({
      code: 'VIR_ERR_NO_STORAGE_VOL',
      domain: 'VIR_FROM_TEST',
    });
  });

  it('answers secrets with VIR_ERR_NO_SUPPORT: the test driver has no secret driver', async () => {
    const uuid = '5e1a0c9f-1111-4222-8333-944455556666';
    const xml = `<secret ephemeral="no" private="yes"><uuid>${uuid}</uuid><usage type="volume"><volume>/var/lib/x.img</volume></usage></secret>`;
    const secretNoSupport = { code: 'VIR_ERR_NO_SUPPORT', domain: 'VIR_FROM_SECRET' };
    expect(await rejection(a.defineSecret(xml))).toMatchObject(secretNoSupport);
    expect(await rejection(a.lookupSecretByUUID(uuid))).toMatchObject(secretNoSupport);
    expect(
      await rejection(a.lookupSecretByUsage(constants.VIR_SECRET_USAGE_TYPE_VOLUME!, '/var/lib/x.img')),
    ).toMatchObject(secretNoSupport);
  });
});

describe('Connection.open', () => {
  it('opens readonly: reads work, writes are refused with VIR_ERR_OPERATION_DENIED', async () => {
    const ro = await Connection.open(fixtureUri('host-a'), { readonly: true });
    try {
      expect((await ro.listAllDomains()).length).toBe(2);
      expect(
        await rejection(
          ro.defineDomain('<domain type="test"><name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>'),
        ),
      ).toMatchObject({ code: 'VIR_ERR_OPERATION_DENIED', domain: 'VIR_FROM_DOMAIN' });
    } finally {
      await ro.close();
    }
  });

  it('rejects an unknown scheme (no daemon to reach) with an RPC system error', async () => {
    expect(await rejection(Connection.open('bogus:///x'))).toMatchObject({
      code: 'VIR_ERR_SYSTEM_ERROR',
      domain: 'VIR_FROM_RPC',
    });
  });

  it('keeps close() idempotent while a close is in progress', async () => {
    const c = await Connection.open('test:///default');
    await Promise.all([c.close(), c.close(), c.close()]);
    expect(c.isOpen).toBe(false);
    expect(await rejection(c.listAllDomains())).toMatchObject({ code: 'VIR_ERR_INVALID_CONN' });
  });
});
