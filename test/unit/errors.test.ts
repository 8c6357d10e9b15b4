import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { Connection, LibvirtError } from '../../src/index.js';
import { addonCandidates } from '../../src/native.js';
import { fixtureUri } from '../helpers/fixtures.js';

/** The rejection of `p`, which must reject. */
async function rejection(p: Promise<unknown>): Promise<LibvirtError> {
  const outcome = await p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return outcome.error as LibvirtError;
}

describe('LibvirtError', () => {
  let a: Connection;
  beforeAll(async () => {
    a = await Connection.open(fixtureUri('host-a'));
  });
  afterAll(async () => {
    await a.close();
  });

  it('carries code and domain by name and number, level, message, and the caller file in its stack', async () => {
    const error = await rejection(a.lookupDomainByName('no-such-guest'));
    expect(error).toBeInstanceOf(LibvirtError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('LibvirtError');
    expect(error.code).toBe('VIR_ERR_NO_DOMAIN');
    expect(error.number).toBe(42); // virErrorNumber VIR_ERR_NO_DOMAIN
    expect(error.domain).toBe('VIR_FROM_TEST');
    expect(error.domainNumber).toBe(12); // virErrorDomain VIR_FROM_TEST
    expect(error.level).toBe('error');
    expect(error.message).toMatch(/no-such-guest|not found/i);
    expect(error.stack).toMatch(/^LibvirtError: /);
    expect(error.stack).toContain('errors.test.ts');
  });

  it('points the stack of a closed-connection rejection at the caller too', async () => {
    const c = await Connection.open('test:///default');
    await c.close();
    const error = await rejection(c.getCapabilities());
    expect(error).toMatchObject({ code: 'VIR_ERR_INVALID_CONN', number: 6, level: 'error' });
    expect(error.stack).toContain('errors.test.ts');
  });

  it('maps each failure to its own code', async () => {
    expect(await rejection(a.lookupNetworkByName('nope'))).toMatchObject({
      code: 'VIR_ERR_NO_NETWORK',
      domain: 'VIR_FROM_TEST',
    });
    expect(await rejection(a.lookupStorageVolByPath('/nope'))).toMatchObject({
      code: 'VIR_ERR_NO_STORAGE_VOL',
      domain: 'VIR_FROM_TEST',
    });
    expect(await rejection(a.lookupDomainByUUID('not-a-uuid'))).toMatchObject({
      code: 'VIR_ERR_INVALID_ARG',
      domain: 'VIR_FROM_DOMAIN',
    });
    expect(await rejection(a.lookupDomainByID(4242))).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
  });

  it('rejects invalid domain XML with libvirt\'s XML error', async () => {
    // libvirt 9 reports a malformed document as VIR_ERR_XML_DETAIL (with the parser's position)…
    const malformed = await rejection(a.defineDomain('<domain'));
    expect(malformed).toMatchObject({ code: 'VIR_ERR_XML_DETAIL', domain: 'VIR_FROM_DOMAIN' });
    expect(malformed.message).toContain('<domain');
    // …and a well-formed one without a name as VIR_ERR_NO_NAME.
    expect(await rejection(a.defineDomain('<domain type="test"></domain>'))).toMatchObject({
      code: 'VIR_ERR_NO_NAME',
    });
  });

  it('rejects a readonly connection\'s writes with VIR_ERR_OPERATION_DENIED', async () => {
    const ro = await Connection.open('test:///default', { readonly: true });
    try {
      const dom = await ro.lookupDomainByName('test');
      expect(await dom.isActive()).toBe(true); // reads work
      expect(await rejection(dom.suspend())).toMatchObject({
        code: 'VIR_ERR_OPERATION_DENIED',
        domain: 'VIR_FROM_DOMAIN',
      });
      expect(await rejection(ro.defineDomain('<domain type="test"><name>ro</name></domain>'))).toMatchObject({
        code: 'VIR_ERR_OPERATION_DENIED',
      });
      expect((await dom.getState()).state).toBe('running');
    } finally {
      await ro.close();
    }
  });

  it('rejects (not crashes) when the raw addon is used without the TS error class', () => {
    const addon = addonCandidates().find((p) => existsSync(p))!;
    const script = `
      const addon = require(${JSON.stringify(addon)});
      addon.Connection.open('test:///default', false).then(async (c) => {
        const e = await c.lookupDomainByName('nope').catch((e) => e);
        console.log(JSON.stringify({ isError: e instanceof Error, name: e.name, code: e.code, number: e.number, domain: e.domain }));
        await c.close();
      });`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(out)).toEqual({
      isError: true,
      name: 'LibvirtError',
      code: 'VIR_ERR_NO_DOMAIN',
      number: 42,
      domain: 'VIR_FROM_TEST',
    });
  });
});
