import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Domain, LibvirtError, constants, type MigrateParams } from '../../src/index.js';
import { fixtureUri } from '../helpers/fixtures.js';

// Migration parameters are packed into libvirt typed parameters on the JS
// thread, before any libvirt call: a bad key or type throws synchronously; a
// well-packed set reaches libvirt, and the test driver then refuses the
// migration itself (its own error proves the packing succeeded).

const everyKey: Required<MigrateParams> = {
  uri: 'tcp://10.0.0.2:49152',
  destName: 'guest1-moved',
  destXml: '<domain type="test"><name>guest1-moved</name></domain>',
  persistentXml: '<domain type="test"><name>guest1-moved</name></domain>',
  bandwidth: 1000,
  bandwidthPostcopy: 2000,
  graphicsUri: 'spice://10.0.0.2:5900',
  listenAddress: '0.0.0.0',
  migrateDisks: ['vda', 'vdb'],
  disksPort: 49153,
  disksUri: 'tcp://10.0.0.2:49153',
  compression: ['xbzrle', 'mt'],
  compressionMtLevel: 1,
  compressionMtThreads: 4,
  compressionMtDthreads: 2,
  compressionXbzrleCache: 64 * 1024 * 1024,
  autoConvergeInitial: 20,
  autoConvergeIncrement: 10,
  parallelConnections: 4,
  tlsDestination: 'dst.example.org',
};

describe('typed migration parameters', () => {
  let a: Connection;
  let b: Connection;
  let guest: Domain;

  beforeAll(async () => {
    [a, b] = await Promise.all([Connection.open(fixtureUri('host-a')), Connection.open(fixtureUri('host-b'))]);
    guest = await a.lookupDomainByName('guest1');
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('packs every known key: the call reaches libvirt (which refuses the migration)', async () => {
    // With no parameters the test driver says it lacks virDomainMigrate3; with
    // parameters libvirt first sees they were passed (count > 0) and refuses them.
    const empty = await guest.migrate3(b, {}).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' });
    const e1 = await guest.migrate3(b, everyKey).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(LibvirtError);
    expect(e1).toMatchObject({
      code: 'VIR_ERR_ARGUMENT_UNSUPPORTED',
      message: expect.stringContaining('extended parameters were passed'),
    });
    const e2 = await guest.migrateToURI3(null, everyKey).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(LibvirtError);
    expect(e2).toMatchObject({ code: 'VIR_ERR_ARGUMENT_UNSUPPORTED' });
  });

  it('skips keys whose value is undefined', async () => {
    const e = await guest.migrateToURI3(null, { uri: undefined, bandwidth: undefined }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LibvirtError);
  });

  it('throws a TypeError naming an unknown key', () => {
    const params = { bandwidth: 10, bandwith: 10 } as unknown as MigrateParams;
    expect(() => guest.native.migrate3(b.native, params, 0)).toThrow(TypeError);
    expect(() => guest.native.migrate3(b.native, params, 0)).toThrow('unknown migration parameter: bandwith');
    expect(() => guest.native.migrateToURI3(null, { 'migrate.uri': 'x' } as unknown as MigrateParams, 0)).toThrow(
      /unknown migration parameter: migrate\.uri/,
    );
  });

  it('rejects through the TS API too (async methods turn the TypeError into a rejection)', async () => {
    await expect(guest.migrate3(b, { nope: 1 } as unknown as MigrateParams)).rejects.toThrow(TypeError);
  });

  it.each([
    ['uri', 42, 'uri must be a string'],
    ['destXml', { xml: '' }, 'destXml must be a string'],
    ['migrateDisks', 'vda', 'migrateDisks must be an array of strings'],
    ['migrateDisks', ['vda', 7], 'migrateDisks must be an array of strings'],
    ['compression', [null], 'compression must be an array of strings'],
    ['bandwidth', '100', 'bandwidth must be a number'],
    ['disksPort', true, 'disksPort must be a number'],
    ['compressionXbzrleCache', 10n, 'compressionXbzrleCache must be a number'],
  ])('throws a TypeError when %s has the wrong type (%o)', (key, value, message) => {
    const params = { [key]: value } as unknown as MigrateParams;
    expect(() => guest.native.migrateToURI3(null, params, 0)).toThrow(TypeError);
    expect(() => guest.native.migrateToURI3(null, params, 0)).toThrow(message);
  });

  it.each([
    ['bandwidth', -1],
    ['bandwidth', 1.5],
    ['bandwidth', Number.NaN],
    ['bandwidth', 2 ** 53],
    ['disksPort', 2 ** 31],
    ['parallelConnections', -4],
  ])('throws a RangeError when %s is %d', (key, value) => {
    const params = { [key]: value } as unknown as MigrateParams;
    expect(() => guest.native.migrateToURI3(null, params, 0)).toThrow(RangeError);
  });

  it('rejects a params argument that is not an object', () => {
    expect(() => guest.native.migrate3(b.native, 'bandwidth=1' as unknown as MigrateParams, 0)).toThrow(
      'params must be an object',
    );
    expect(() => guest.native.migrate3({} as never, {}, 0)).toThrow('destination must be a Connection');
  });
});

describe('typed parameters read back (job and domain statistics)', () => {
  it('turns virDomainListGetStats fields into numbers (the test driver has only state.*)', async () => {
    const c = await Connection.open(fixtureUri('host-a'));
    try {
      const guest = await c.lookupDomainByName('guest1');
      expect(await guest.getStats(constants.VIR_DOMAIN_STATS_STATE!)).toEqual({ 'state.state': 1, 'state.reason': 0 });
      await guest.suspend();
      expect(await guest.getStats(constants.VIR_DOMAIN_STATS_STATE!)).toEqual({ 'state.state': 3, 'state.reason': 1 });
    } finally {
      await c.close();
    }
  });
});
