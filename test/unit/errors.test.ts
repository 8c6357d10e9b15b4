import { execFileSync } from 'node:child_process';
import { rejection } from '../helpers/errors.js';
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CheckLoadError,
  Connection,
  isLibvirtError,
  LibvirtError,
  loadCheckFile,
  InvalidArgumentError,
  PmcError,
  XmlDocument,
  XmlError,
} from '../../src/index.js';
import { CliError, nullWhen } from '../../src/errors.js';
import { addonCandidates } from '../../src/binding/native.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('LibvirtError', () => {
  const hosts = useFixtureHosts({ a: 'host-a' });

  it('carries code and domain by name and number, level, message, and the caller file in its stack', async () => {
    const error = await rejection(hosts.a.lookupDomainByName('no-such-guest'));
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
    expect(await rejection(hosts.a.lookupNetworkByName('nope'))).toMatchObject({
      code: 'VIR_ERR_NO_NETWORK',
      domain: 'VIR_FROM_TEST',
    });
    expect(await rejection(hosts.a.lookupStorageVolByPath('/nope'))).toMatchObject({
      code: 'VIR_ERR_NO_STORAGE_VOL',
      domain: 'VIR_FROM_TEST',
    });
    expect(await rejection(hosts.a.lookupDomainByUUID('not-a-uuid'))).toMatchObject({
      code: 'VIR_ERR_INVALID_ARG',
      domain: 'VIR_FROM_DOMAIN',
    });
    expect(await rejection(hosts.a.lookupDomainByID(4242))).toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
  });

  it("rejects invalid domain XML with libvirt's XML error", async () => {
    // libvirt 9 reports a malformed document as VIR_ERR_XML_DETAIL (with the parser's position)…
    const malformed = await rejection(hosts.a.defineDomain('<domain'));
    expect(malformed).toMatchObject({ code: 'VIR_ERR_XML_DETAIL', domain: 'VIR_FROM_DOMAIN' });
    expect(malformed.message).toContain('<domain');
    // …and a well-formed one without a name as VIR_ERR_NO_NAME.
    expect(await rejection(hosts.a.defineDomain('<domain type="test"></domain>'))).toMatchObject({
      code: 'VIR_ERR_NO_NAME',
    });
  });

  it("rejects a readonly connection's writes with VIR_ERR_OPERATION_DENIED", async () => {
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

describe('one error hierarchy', () => {
  it('isLibvirtError answers by class and code: a real rejection, not a look-alike object', async () => {
    const c = await Connection.open('test:///default');
    try {
      const error = await rejection(c.lookupDomainByName('no-such-guest'));
      expect(isLibvirtError(error)).toBe(true);
      expect(isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')).toBe(true);
      expect(isLibvirtError(error, 'VIR_ERR_NO_SUPPORT', 'VIR_ERR_NO_DOMAIN')).toBe(true);
      expect(isLibvirtError(error, 'VIR_ERR_NO_SUPPORT')).toBe(false);
    } finally {
      await c.close();
    }
    // Something else that happens to carry a libvirt code is not libvirt's error.
    expect(isLibvirtError({ code: 'VIR_ERR_NO_DOMAIN' }, 'VIR_ERR_NO_DOMAIN')).toBe(false);
    expect(isLibvirtError(Object.assign(new Error('x'), { code: 'VIR_ERR_NO_DOMAIN' }), 'VIR_ERR_NO_DOMAIN')).toBe(
      false,
    );
  });

  it('nullWhen turns a lookup of a missing object into null and rethrows any other error', async () => {
    const c = await Connection.open('test:///default');
    try {
      expect(await c.lookupDomainByName('no-such-guest').catch(nullWhen('VIR_ERR_NO_DOMAIN'))).toBeNull();
      expect((await c.lookupDomainByName('test').catch(nullWhen('VIR_ERR_NO_DOMAIN')))?.name).toBe('test');
      const other = await rejection(c.lookupDomainByName('no-such-guest').catch(nullWhen('VIR_ERR_NO_SECRET')));
      expect(isLibvirtError(other, 'VIR_ERR_NO_DOMAIN')).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('every error of the package is a PmcError with a stable code', async () => {
    const c = await Connection.open('test:///default');
    let libvirt: LibvirtError;
    try {
      libvirt = await rejection(c.lookupDomainByName('no-such-guest'));
    } finally {
      await c.close();
    }
    let xml: unknown;
    try {
      XmlDocument.parse('<a', { name: 'doc.xml' });
    } catch (e) {
      xml = e;
    }
    const load = await loadCheckFile('/nonexistent/checks.xml').catch((e: unknown) => e);
    const cli = new CliError('bad input', 2);
    const argument = await loadCheckFile('/x.xml', { maxBytes: -1 }).catch((e: unknown) => e);
    expect(argument).toMatchObject({ message: 'maxBytes must be a positive whole number, not -1' });
    expect(argument).not.toBeInstanceOf(TypeError); // CHANGELOG.md: callers test `code`
    const cases: [unknown, abstract new (...args: never[]) => Error, string][] = [
      [libvirt, LibvirtError, 'VIR_ERR_NO_DOMAIN'],
      [xml, XmlError, 'ERR_PMC_XML_PARSE'],
      [load, CheckLoadError, 'ERR_PMC_CHECKS_NOT_FOUND'],
      [cli, CliError, 'ERR_PMC_CLI'],
      [argument, InvalidArgumentError, 'ERR_PMC_INVALID_ARG'],
    ];
    for (const [error, cls, code] of cases) {
      expect(error).toBeInstanceOf(cls);
      expect(error).toBeInstanceOf(PmcError);
      expect((error as PmcError).code).toBe(code);
      expect((error as PmcError).name).toBe(cls.name);
    }
    expect(cli.exitCode).toBe(2);
  });

  it("the native core's error codes are the ones src/errors.ts types XmlError and CheckLoadError with", () => {
    const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
    const native = [...read('native/cxx/error_codes.h').matchAll(/= "(ERR_PMC_[A-Z_]+)";/g)].map((m) => m[1]);
    const typed = (name: string) => {
      const union = new RegExp(`export type ${name} =([^;]+);`).exec(read('src/errors.ts'))![1]!;
      return [...union.matchAll(/'(ERR_PMC_[A-Z_]+)'/g)].map((m) => m[1]);
    };
    expect(native.sort()).toEqual([...typed('XmlErrorCode'), ...typed('CheckLoadErrorCode')].sort());
  });
});

describe('argument checking of the native methods', () => {
  const hosts = useFixtureHosts({ c: 'host-a' });

  // Each call passes a wrong type straight to the native method: it must throw
  // a TypeError (or RangeError for out-of-range numbers) synchronously, before
  // any libvirt work, and the process must live on.
  const connectionCases: [string, (n: Connection['native']) => unknown, typeof TypeError][] = [
    ['lookupDomainByName(1)', (n) => n.lookupDomainByName(1 as never), TypeError],
    ['lookupDomainByName()', (n) => (n.lookupDomainByName as () => unknown)(), TypeError],
    ['lookupDomainByUUID({})', (n) => n.lookupDomainByUUID({} as never), TypeError],
    ['lookupDomainByID("1")', (n) => n.lookupDomainByID('1' as never), TypeError],
    ['lookupDomainByID(-1)', (n) => n.lookupDomainByID(-1), RangeError],
    ['lookupDomainByID(1.5)', (n) => n.lookupDomainByID(1.5), RangeError],
    ['listAllDomains("active")', (n) => n.listAllDomains('active' as never), TypeError],
    ['listAllDomains(-1)', (n) => n.listAllDomains(-1), RangeError],
    ['getFreePages("4")', (n) => n.getFreePages('4' as never, 0, 1), TypeError],
    ['getFreePages(["4"])', (n) => n.getFreePages(['4'] as never, 0, 1), TypeError],
    ['getCellsFreeMemory("0")', (n) => n.getCellsFreeMemory('0' as never, 1), TypeError],
    [
      'compareHypervisorCPU(no xml)',
      (n) => n.compareHypervisorCPU(null, null, null, null, null as never, 0),
      TypeError,
    ],
    ['baselineHypervisorCPU("x")', (n) => n.baselineHypervisorCPU(null, null, null, null, 'x' as never, 0), TypeError],
    ['getDomainCapabilities(1)', (n) => n.getDomainCapabilities(1 as never, null, null, null, 0), TypeError],
    ['defineDomain(undefined)', (n) => n.defineDomain(undefined as never, 0), TypeError],
    ['lookupSecretByUsage("volume")', (n) => n.lookupSecretByUsage('volume' as never, 'x'), TypeError],
    ['lookupNetworkByName(null)', (n) => n.lookupNetworkByName(null as never), TypeError],
    ['lookupStorageVolByPath(Symbol)', (n) => n.lookupStorageVolByPath(Symbol('p') as never), TypeError],
    ['setCloseListener("f")', (n) => n.setCloseListener('f' as never), TypeError],
    ['getHostname with a foreign this', (n) => Reflect.apply(n.getHostname, {}, []), TypeError],
  ];
  it.each(connectionCases)('Connection: %s throws synchronously', (_label, call, errorClass) => {
    expect(() => call(hosts.c.native)).toThrow(errorClass);
  });

  it('Connection.open checks its URI argument', async () => {
    const { native } = await import('../../src/binding/native.js');
    expect(() => native.Connection.open(5 as never, false)).toThrow(TypeError);
    expect(() => new (native.Connection as unknown as new () => unknown)()).toThrow(TypeError);
  });

  it('Domain methods check their arguments', async () => {
    const d = (await hosts.c.lookupDomainByName('guest1')).native;
    expect(() => d.getXMLDesc('migratable' as never)).toThrow(TypeError);
    expect(() => d.getBlockJobInfo(0 as never, 0)).toThrow(TypeError);
    expect(() => d.startDirtyRateCalc(0, 0)).toThrow(RangeError);
    expect(() => d.startDirtyRateCalc('1' as never, 0)).toThrow(TypeError);
    expect(() => d.createSnapshot(undefined as never, 0)).toThrow(TypeError);
    expect(() => d.migrate3('qemu:///system' as never, [], 0)).toThrow(TypeError);
    expect(() => d.getStats('state' as never, 0)).toThrow(TypeError);
    expect(() => Reflect.apply(d.getName, hosts.c.native, [])).toThrow(TypeError);
    // Still alive and answering.
    expect(await d.isActive()).toBe(true);
  });
});
