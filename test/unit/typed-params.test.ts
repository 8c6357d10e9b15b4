import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Connection,
  Domain,
  InvalidArgumentError,
  LibvirtError,
  constants,
  type MigrateParams,
} from '../../src/index.js';
import { native } from '../../src/binding/native.js';
import { paramsToEntries, type ParamEntry } from '../../src/options/index.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { LIBVIRT_DOMAIN_HEADER, libvirtMigrateParams } from '../helpers/libvirt-header.js';

// Migration parameters are packed into libvirt typed parameters on the JS
// thread, before any libvirt call: a bad key or type throws synchronously. Each
// key is packed and read back against libvirt's header; a well-packed set
// reaches libvirt, and the test driver then refuses the migration itself.

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

/** libvirt's macro for each key, as virsh-domain.c passes it: the oracle (a Record, so a new key must be added here). */
const libvirtMacro: Record<keyof MigrateParams, string> = {
  uri: 'VIR_MIGRATE_PARAM_URI',
  destName: 'VIR_MIGRATE_PARAM_DEST_NAME',
  destXml: 'VIR_MIGRATE_PARAM_DEST_XML',
  persistentXml: 'VIR_MIGRATE_PARAM_PERSIST_XML',
  bandwidth: 'VIR_MIGRATE_PARAM_BANDWIDTH',
  bandwidthPostcopy: 'VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY',
  graphicsUri: 'VIR_MIGRATE_PARAM_GRAPHICS_URI',
  listenAddress: 'VIR_MIGRATE_PARAM_LISTEN_ADDRESS',
  migrateDisks: 'VIR_MIGRATE_PARAM_MIGRATE_DISKS',
  disksPort: 'VIR_MIGRATE_PARAM_DISKS_PORT',
  disksUri: 'VIR_MIGRATE_PARAM_DISKS_URI',
  compression: 'VIR_MIGRATE_PARAM_COMPRESSION',
  compressionMtLevel: 'VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL',
  compressionMtThreads: 'VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS',
  compressionMtDthreads: 'VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS',
  compressionXbzrleCache: 'VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE',
  autoConvergeInitial: 'VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL',
  autoConvergeIncrement: 'VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT',
  parallelConnections: 'VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS',
  tlsDestination: 'VIR_MIGRATE_PARAM_TLS_DESTINATION',
};

const ourType: Record<string, string> = { INT: 'int', ULLONG: 'ullong', STRING: 'string' };

describe('typed migration parameters', () => {
  let a: Connection;
  let b: Connection;
  let guest: Domain;
  const header = [...libvirtMigrateParams().values()];

  beforeAll(async () => {
    [a, b] = await Promise.all([Connection.open(fixtureUri('host-a')), Connection.open(fixtureUri('host-b'))]);
    guest = await a.lookupDomainByName('guest1');
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it.each(Object.entries(everyKey))("packs %s as libvirt's field of the type its header documents", (key, value) => {
    const documented = header.find((p) => p.macro === libvirtMacro[key as keyof MigrateParams]);
    expect(documented, `${libvirtMacro[key as keyof MigrateParams]} in ${LIBVIRT_DOMAIN_HEADER}`).toBeDefined();
    // The header is silent on listen_address's type; qemu_migration.h lists it as a string.
    const type = ourType[documented!.type ?? 'STRING'];
    const values: unknown[] = Array.isArray(value) ? value : [value];
    expect(Array.isArray(value), `${key} is a list exactly when libvirt takes it several times`).toBe(
      documented!.repeatable,
    );
    // Through the same conversion and packer as domain.migrate3, read back from libvirt's array.
    expect(native.packTypedParams(paramsToEntries({ [key]: value }))).toEqual(
      values.map((v) => [documented!.field, type, v]),
    );
  });

  it('packs a whole set, and the call reaches libvirt (which refuses the migration)', async () => {
    expect(native.packTypedParams(paramsToEntries(everyKey))).toHaveLength(Object.keys(everyKey).length + 2); // two lists of two
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
    expect(paramsToEntries({ uri: undefined, bandwidth: undefined })).toEqual([]);
    const e = await guest.migrate3(b, { uri: undefined, bandwidth: undefined }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'VIR_ERR_NO_SUPPORT' }); // as with no parameters at all
  });

  it('throws an InvalidArgumentError naming an unknown key', () => {
    const params = { bandwidth: 10, bandwith: 10 } as unknown as MigrateParams;
    expect(() => guest.migrateToURI3(null, params)).toThrow(InvalidArgumentError);
    expect(() => guest.migrateToURI3(null, params)).toThrow('unknown migration parameter: bandwith');
    expect(() => guest.migrateToURI3(null, { 'migrate.uri': 'x' } as unknown as MigrateParams)).toThrow(
      /unknown migration parameter: migrate\.uri/,
    );
  });

  it('rejects through the async API too (async methods turn the throw into a rejection)', async () => {
    await expect(guest.migrate3(b, { nope: 1 } as unknown as MigrateParams)).rejects.toThrow(InvalidArgumentError);
  });

  it.each([
    ['uri', 42, 'uri (migrate_uri) must be a string'],
    ['destXml', { xml: '' }, 'destXml (destination_xml) must be a string'],
    ['migrateDisks', 'vda', 'migrateDisks (migrate_disks) must be an array of strings'],
    ['migrateDisks', ['vda', 7], 'migrateDisks (migrate_disks) must be an array of strings'],
    ['compression', [null], 'compression (compression) must be an array of strings'],
    ['bandwidth', '100', 'bandwidth (bandwidth) must be a number'],
    ['disksPort', true, 'disksPort (disks_port) must be a number'],
    ['compressionXbzrleCache', 10n, 'compressionXbzrleCache (compression.xbzrle.cache) must be a number'],
    ['destName', 'a\0b', 'destName (destination_name) must not contain NUL characters'],
  ])('throws a TypeError when %s has the wrong type (%o)', (key, value, message) => {
    const params = { [key]: value } as unknown as MigrateParams;
    expect(() => guest.migrateToURI3(null, params)).toThrow(TypeError);
    expect(() => guest.migrateToURI3(null, params)).toThrow(message);
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
    expect(() => guest.migrateToURI3(null, params)).toThrow(RangeError);
  });

  it('packs the largest value of each numeric type exactly', () => {
    expect(
      native.packTypedParams([
        ['disks_port', 'int', 2 ** 31 - 1],
        ['bandwidth', 'ullong', 2 ** 53 - 1],
      ]),
    ).toEqual([
      ['disks_port', 'int', 2 ** 31 - 1],
      ['bandwidth', 'ullong', 2 ** 53 - 1],
    ]);
  });

  it('the native packer knows no option names, only types: it rejects what it cannot pack', () => {
    const pack = (entries: unknown) => () => native.packTypedParams(entries as ParamEntry[]);
    expect(pack([['x.y', 'boolean', true]])).toThrow(TypeError);
    expect(pack([['x.y', 'boolean', true]])).toThrow("unknown typed parameter type for x.y: 'boolean'");
    expect(pack([['x.y', 'int', 1, 'xy']])).not.toThrow();
    expect(pack([['x.y', undefined, 1, 'xy']])).toThrow("unknown typed parameter type for xy (x.y): ''");
    expect(pack({ bandwidth: 1 })).toThrow('params must be an array of [field, type, value] entries');
    expect(pack([['bandwidth', 'ullong']])).toThrow('params[0] must be a [field, type, value] entry');
    expect(pack([[7, 'int', 1]])).toThrow('params[0] field must be a string');
    expect(pack([['', 'int', 1]])).toThrow(RangeError);
    expect(pack([['f'.repeat(80), 'int', 1]])).toThrow(RangeError); // VIR_TYPED_PARAM_FIELD_LENGTH is 80, NUL included
    expect(pack([['f'.repeat(79), 'int', 1]])).not.toThrow();
  });

  it('rejects params that are not entries, and a destination that is not a Connection', () => {
    expect(() => guest.native.migrate3(b.native, { bandwidth: 1 } as unknown as ParamEntry[], 0)).toThrow(
      'params must be an array',
    );
    expect(() => guest.native.migrate3({} as never, [], 0)).toThrow('destination must be a Connection');
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
