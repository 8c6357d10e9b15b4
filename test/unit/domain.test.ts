import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Connection, Domain, constants } from '../../src/index.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { rejection } from '../helpers/errors.js';

const noSupport = (api: string) => ({
  code: 'VIR_ERR_NO_SUPPORT',
  domain: 'VIR_FROM_DOMAIN',
  message: expect.stringContaining(api) as unknown,
});

const spareXml = (name: string) =>
  `<domain type="test"><name>${name}</name><memory unit="MiB">256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;

// Each test opens host A afresh: a node-file connection has private state, so
// the mutations below (suspend, define, snapshot…) cannot leak into other tests.
describe('Domain on the test driver', () => {
  let a: Connection;
  let b: Connection;
  let guest: Domain;

  beforeEach(async () => {
    [a, b] = await Promise.all([Connection.open(fixtureUri('host-a')), Connection.open(fixtureUri('host-b'))]);
    guest = await a.lookupDomainByName('guest1');
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('has its name, UUID, id and connection', async () => {
    expect(guest.name).toBe('guest1');
    expect(guest.uuid).toBe('4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01');
    expect(guest.connection).toBe(a);
    const id = await guest.getID();
    expect(id).toBeGreaterThan(0);
    expect((await a.lookupDomainByID(id)).uuid).toBe(guest.uuid);
  });

  it('reads info and state of a running domain', async () => {
    expect(await guest.getInfo()).toMatchObject({ state: 'running', maxMemKiB: 1048576, memoryKiB: 1048576, vcpus: 2 });
    expect(await guest.getState()).toEqual({ state: 'running', reason: 0, reasonName: null });
    expect(await guest.isActive()).toBe(true);
    expect(await guest.isPersistent()).toBe(true);
  });

  it('reports the paused reason after suspend, and running again after resume', async () => {
    await guest.suspend();
    expect(await guest.getState()).toEqual({
      state: 'paused',
      reason: constants.VIR_DOMAIN_PAUSED_USER ?? 1,
      reasonName: 'user',
    });
    expect((await guest.getInfo()).state).toBe('paused');
    await guest.resume();
    expect((await guest.getState()).state).toBe('running');
    // Resuming a running domain: the test driver calls it an internal error.
    expect(await rejection(guest.resume())).toMatchObject({
      code: 'VIR_ERR_INTERNAL_ERROR',
      domain: 'VIR_FROM_TEST',
      message: expect.stringContaining('not paused'),
    });
  });

  it('returns its XML, live or inactive (VIR_DOMAIN_XML_INACTIVE) and migratable', async () => {
    const live = await guest.getXMLDesc();
    expect(live).toMatch(/^<domain type='test' id='\d+'>/);
    expect(live).toContain('<name>guest1</name>');
    expect(live).toContain("<source file='/var/lib/pmc-a/images/guest1.qcow2'/>");
    const inactive = await guest.getXMLDesc(constants.VIR_DOMAIN_XML_INACTIVE!);
    expect(inactive).toMatch(/^<domain type='test'>/);
    const migratable = await guest.getXMLDesc(constants.VIR_DOMAIN_XML_MIGRATABLE!);
    expect(migratable).toContain('<uuid>4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01</uuid>');
    expect(migratable).toContain("<source network='prod'/>");
  });

  it('counts snapshots, and createSnapshot adds one', async () => {
    expect(await guest.snapshotCount()).toBe(0);
    expect(await guest.createSnapshot('<domainsnapshot><name>before-move</name></domainsnapshot>')).toBe('before-move');
    expect(await guest.snapshotCount()).toBe(1);
    expect((await a.listAllDomains(constants.VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT!)).map((d) => d.name)).toEqual([
      'guest1',
    ]);
    expect(await rejection(guest.createSnapshot('<domainsnapshot>'))).toMatchObject({ code: 'VIR_ERR_XML_DETAIL' });
  });

  it('answers job info, job stats and abortJob with VIR_ERR_NO_SUPPORT', async () => {
    expect(await rejection(guest.getJobInfo())).toMatchObject(noSupport('virDomainGetJobInfo'));
    expect(await rejection(guest.getJobStats())).toMatchObject(noSupport('virDomainGetJobStats'));
    expect(await rejection(guest.getJobStats(constants.VIR_DOMAIN_JOB_STATS_COMPLETED!))).toMatchObject(
      noSupport('virDomainGetJobStats'),
    );
    expect(await rejection(guest.abortJob())).toMatchObject(noSupport('virDomainAbortJob'));
  });

  it('answers block job info per disk with VIR_ERR_NO_SUPPORT', async () => {
    expect(await rejection(guest.getBlockJobInfo('vda'))).toMatchObject(noSupport('virDomainGetBlockJobInfo'));
    expect(await rejection(guest.getBlockJobInfo('/var/lib/pmc-a/images/guest1.qcow2'))).toMatchObject(
      noSupport('virDomainGetBlockJobInfo'),
    );
  });

  it('answers a dirty-rate calculation with VIR_ERR_NO_SUPPORT, and its stats are empty', async () => {
    expect(await rejection(guest.startDirtyRateCalc(1))).toMatchObject(noSupport('virDomainStartDirtyRateCalc'));
    // virDomainListGetStats works on the test driver but has no dirtyrate.* fields.
    expect(await guest.getDirtyRate()).toEqual({});
  });

  it('cannot migrate on the test driver: migrate3 and migrateToURI3 say so with their codes', async () => {
    expect(await rejection(guest.migrate3(b, { bandwidth: 100 }, constants.VIR_MIGRATE_LIVE!))).toMatchObject(
      noSupport('virDomainMigrate3'),
    );
    expect(
      await rejection(guest.migrateToURI3(fixtureUri('host-b'), {}, constants.VIR_MIGRATE_PEER2PEER!)),
    ).toMatchObject({ code: 'VIR_ERR_ARGUMENT_UNSUPPORTED', message: expect.stringContaining('p2p migration') });
    expect(await rejection(guest.migrateToURI3(null, { uri: 'tcp://127.0.0.1:1' }))).toMatchObject({
      code: 'VIR_ERR_ARGUMENT_UNSUPPORTED',
      message: expect.stringContaining('direct migration'),
    });
    // Nothing moved.
    expect(await guest.isActive()).toBe(true);
    expect(await rejection(b.lookupDomainByName('guest1'))).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
  });

  it('defines, starts, destroys and undefines a domain', async () => {
    const spare = await a.defineDomain(spareXml('spare'));
    expect(await spare.isActive()).toBe(false);
    expect(await spare.isPersistent()).toBe(true);
    expect(await spare.getID()).toBe(-1);
    expect((await spare.getState()).state).toBe('shutoff');
    await spare.create();
    expect(await spare.isActive()).toBe(true);
    expect(await spare.getID()).toBeGreaterThan(0);
    await spare.destroy();
    expect((await spare.getState()).state).toBe('shutoff');
    await spare.undefine();
    expect(await rejection(a.lookupDomainByName('spare'))).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
    // The handle outlives the domain; calls on it say the domain is gone.
    expect(await rejection(spare.getInfo())).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
  });

  it('creates a transient domain that disappears when destroyed', async () => {
    const temp = await a.createDomain(spareXml('transient'));
    expect(await temp.isActive()).toBe(true);
    expect(await temp.isPersistent()).toBe(false);
    await temp.destroy();
    expect(await rejection(a.lookupDomainByName('transient'))).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
  });

  it("rejects invalid domain XML with libvirt's XML error codes", async () => {
    expect(await rejection(a.defineDomain('<domain type="test"><name>x</name>'))).toMatchObject({
      code: 'VIR_ERR_XML_DETAIL',
      domain: 'VIR_FROM_DOMAIN',
    });
    expect(await rejection(a.defineDomain('<domain type="test"><memory>1</memory></domain>'))).toMatchObject({
      code: 'VIR_ERR_NO_NAME',
    });
    expect(await rejection(a.defineDomain('<network><name>n</name></network>'))).toMatchObject({
      code: 'VIR_ERR_XML_ERROR',
    });
  });

  it('rejects calls once its connection is closed, but keeps name and UUID', async () => {
    const c = await Connection.open(fixtureUri('host-a'));
    const d = await c.lookupDomainByName('guest-big');
    await c.close();
    expect(d.name).toBe('guest-big');
    expect(d.uuid).toBe('4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a02');
    for (const call of [d.getInfo(), d.getState(), d.getXMLDesc(), d.isActive(), d.suspend(), d.migrate3(b)]) {
      expect(await rejection(call)).toMatchObject({
        code: 'VIR_ERR_INVALID_CONN',
        message: "the domain's connection is closed",
      });
    }
  });

  it('rejects migrate3 to a closed destination with VIR_ERR_INVALID_CONN, naming the destination', async () => {
    const dest = await Connection.open(fixtureUri('host-b'));
    await dest.close();
    expect(await rejection(guest.migrate3(dest))).toMatchObject({
      code: 'VIR_ERR_INVALID_CONN',
      message: 'the destination connection is closed',
    });
  });
});

describe('layering of the Domain class', () => {
  it('the binding alone loads no framework; the package entry attaches checkPMC and migratePMC', () => {
    // A fresh process on the compiled package (globalSetup builds dist/), so no other import has run.
    const script = `
      const { Domain } = await import('./dist/binding/domain.js');
      const bare = { check: typeof Domain.prototype.checkPMC, migrate: typeof Domain.prototype.migratePMC };
      await import('./dist/index.js');
      const composed = { check: typeof Domain.prototype.checkPMC, migrate: typeof Domain.prototype.migratePMC };
      console.log(JSON.stringify({ bare, composed }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(out)).toEqual({
      bare: { check: 'undefined', migrate: 'undefined' },
      composed: { check: 'function', migrate: 'function' },
    });
  });
});

describe('checkPMC and migratePMC with a destination that is no Connection', () => {
  it('reject, and the process lives on: nothing they started rejects unobserved', () => {
    // A fresh process: an unhandled rejection would end it (Node's default), which vitest's own handler would hide.
    const script = `
      const { Connection } = await import('./dist/index.js');
      const conn = await Connection.open('test:///default');
      const dom = await conn.lookupDomainByName('test');
      const results = [];
      for (const dest of [{}, null, 'test:///default', { native: {} }]) {
        for (const call of ['checkPMC', 'migratePMC'])
          results.push(await dom[call](dest, {}).then(() => 'resolved', (e) => e.constructor.name + ': ' + e.code + ': ' + e.message.split(',')[0]));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      await conn.close();
      console.log(JSON.stringify(results));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(out)).toEqual(
      Array(8).fill('InvalidArgumentError: ERR_PMC_INVALID_ARG: dest must be a Connection'),
    );
  });
});
