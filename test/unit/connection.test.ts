import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, LibvirtError } from '../../src/index.js';
import { fixtureUri } from '../helpers/fixtures.js';

describe('Connection on the test driver', () => {
  let a: Connection;
  let b: Connection;

  beforeAll(async () => {
    [a, b] = await Promise.all([Connection.open(fixtureUri('host-a')), Connection.open(fixtureUri('host-b'))]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('reads the two crafted hosts apart', async () => {
    const [infoA, infoB] = await Promise.all([a.getNodeInfo(), b.getNodeInfo()]);
    expect(infoA).toMatchObject({ cpus: 8, memoryKiB: 16777216, cores: 4, threads: 2 });
    expect(infoB).toMatchObject({ cpus: 2, memoryKiB: 4194304, cores: 2, threads: 1 });
    expect(await a.getType()).toBe('TEST');
    expect(await a.getURI()).toBe(fixtureUri('host-a'));
    expect((await a.getLibVersion()).major).toBeGreaterThanOrEqual(9);
    expect(await a.isAlive()).toBe(true);
    expect(typeof (await a.getHostname())).toBe('string');
  });

  it('lists and looks up domains by name, UUID and id', async () => {
    const names = (await a.listAllDomains()).map((d) => d.name).sort();
    expect(names).toEqual(['guest-big', 'guest1']);
    const byName = await a.lookupDomainByName('guest1');
    expect(byName.uuid).toBe('4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01');
    const byUuid = await a.lookupDomainByUUID(byName.uuid);
    expect(byUuid.name).toBe('guest1');
    const id = await byName.getID();
    expect((await a.lookupDomainByID(id)).name).toBe('guest1');
    expect((await b.listAllDomains()).map((d) => d.name)).toEqual(['resident']);
  });

  it('sees networks, pools and volumes', async () => {
    expect((await a.lookupNetworkByName('prod')).bridge).toBe('br-prod');
    expect((await b.listAllNetworks()).map((n) => n.name)).toEqual(['backup']);
    const pools = await b.listAllStoragePools();
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({ name: 'images', active: true, available: 1024 ** 3 });
    const vol = await a.lookupStorageVolByPath('/var/lib/pmc-a/images/guest1.qcow2');
    expect(vol).toMatchObject({ name: 'guest1.qcow2', pool: 'images', capacity: 10 * 1024 ** 3 });
  });

  it('rejects an unknown domain with VIR_ERR_NO_DOMAIN and the caller stack', async () => {
    const error = await a.lookupDomainByName('no-such-guest').catch((e: unknown) => e);
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
