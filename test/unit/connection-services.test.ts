import { describe, expect, it } from 'vitest';
import {
  Connection,
  constants,
  isLibvirtError,
  libvirtConstantNames,
  libvirtErrorCodes,
  LibvirtError,
  type Credential,
  type LifecycleEvent,
} from '../../src/index.js';
import { native } from '../../src/binding/native.js';
import { readFileSync } from 'node:fs';

const transient = (name: string): string =>
  `<domain type='test'><name>${name}</name><memory>1024</memory><os><type>hvm</type></os></domain>`;

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('typed names', () => {
  it('types exactly the constants the addon exports, and src/libvirt-names.ts is up to date', async () => {
    expect([...libvirtConstantNames].sort()).toEqual(Object.keys(constants).sort());
    const script = '../../scripts/gen-native-names.mjs';
    const { readNativeNames, renderNativeNames } = (await import(script)) as {
      readNativeNames: () => unknown;
      renderNativeNames: (names: unknown) => string;
    };
    expect(readFileSync(new URL('../../src/libvirt-names.ts', import.meta.url), 'utf8')).toBe(
      renderNativeNames(readNativeNames()),
    );
    // @ts-expect-error a misspelt constant does not compile
    expect(constants.VIR_DOMAIN_XML_MIGRATEABLE).toBeUndefined();
    expect(constants.VIR_MIGRATE_LIVE).toBe(1);
  });

  it('gives LibvirtError.code a name from the generated union', async () => {
    const conn = await Connection.open('test:///default');
    const error = await conn.lookupDomainByName('no-such-domain').catch((e: unknown) => e);
    await conn.close();
    expect(error).toBeInstanceOf(LibvirtError);
    expect(isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')).toBe(true);
    expect(libvirtErrorCodes).toContain((error as LibvirtError).code);
    // @ts-expect-error a misspelt code does not compile
    expect(isLibvirtError(error, 'VIR_ERR_NO_DOMAINS')).toBe(false);
  });
});

describe('await using', () => {
  it('closes the connection at the end of the scope', async () => {
    let seen: Connection | undefined;
    {
      await using conn = await Connection.open('test:///default');
      seen = conn;
      expect(conn.isOpen).toBe(true);
    }
    expect(seen.isOpen).toBe(false);
  });
});

describe('auth callback', () => {
  // libvirt's ESX driver asks for a user name and a password through the
  // callback before it connects; nothing listens on port 1, so it then fails.
  const esx = 'esx://127.0.0.1:1/?no_verify=1';

  it("answers libvirt's questions from JS, in order, on the JS thread", async () => {
    const asked: Credential[][] = [];
    const error = await Connection.open(esx, {
      auth: {
        credentials: ['authname', 'passphrase'],
        callback: async (creds) => {
          asked.push(creds);
          await new Promise((r) => setTimeout(r, 5));
          return creds.map((c) => (c.type === 'authname' ? 'alice' : 'secret'));
        },
      },
    }).catch((e: unknown) => e);
    expect(asked.map((round) => round.map((c) => c.type))).toEqual([['authname'], ['passphrase']]);
    expect(asked[0]![0]).toMatchObject({ challenge: '127.0.0.1', defaultResult: 'root' });
    // The password question names the user name given: the answer reached libvirt.
    expect(asked[1]![0]!.prompt).toContain("alice's password");
    expect(isLibvirtError(error, 'VIR_ERR_INTERNAL_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/connect/i);
  });

  it('fails the open as an authentication failure when the callback rejects or times out', async () => {
    for (const callback of [
      () => Promise.reject(new Error('no')),
      () => new Promise<string[]>(() => {}),
      () => ['one', 'too many'],
    ]) {
      const error = await Connection.open(esx, {
        auth: { credentials: ['authname', 'passphrase'], callback, timeoutMs: 200 },
      }).catch((e: unknown) => e);
      expect(isLibvirtError(error, 'VIR_ERR_AUTH_FAILED')).toBe(true);
    }
  });
});

describe('keepalive', () => {
  it('is applied when asked for: the test driver has none and says so', async () => {
    const error = await Connection.open('test:///default', { keepalive: { intervalS: 5, count: 3 } }).catch(
      (e: unknown) => e,
    );
    expect(isLibvirtError(error, 'VIR_ERR_NO_SUPPORT')).toBe(true);
    // Without the option the default is tried and its refusal ignored.
    await (await Connection.open('test:///default')).close();
  });

  it('refuses out-of-range values before any connection', async () => {
    await expect(Connection.open('test:///default', { keepalive: { intervalS: -2, count: 3 } })).rejects.toMatchObject({
      code: 'ERR_PMC_INVALID_ARG',
      message: 'keepalive.intervalS must be an integer from -1 to 2147483647 (≤ 0 disables), not -2',
    });
    await expect(Connection.open('test:///default', { keepalive: { intervalS: 5, count: 2 ** 31 } })).rejects.toThrow(
      /keepalive.count/,
    );
  });
});

describe('domain events on the test driver', () => {
  it('delivers lifecycle events for every domain, and once() resolves with a filtered one', async () => {
    await using conn = await Connection.open('test:///default');
    const seen: LifecycleEvent[] = [];
    conn.on('lifecycle', (e) => seen.push(e));
    const next = conn.once('lifecycle', { filter: (e) => e.domain.name === 'events-b' });
    await conn.eventsReady();
    await conn.createDomain(transient('events-a'));
    await conn.createDomain(transient('events-b'));
    const b = await next;
    expect(b).toMatchObject({ event: 'started', detail: 'booted', domain: { name: 'events-b' } });
    await until(() => seen.length >= 2);
    expect(seen.map((e) => `${e.domain.name}:${e.event}`)).toEqual(['events-a:started', 'events-b:started']);
  });

  it("once() rejects with the signal's reason and removes its listener", async () => {
    await using conn = await Connection.open('test:///default');
    const controller = new AbortController();
    const pending = conn.once('jobCompleted', { signal: controller.signal });
    expect(conn.listenerCount('jobCompleted')).toBe(1);
    controller.abort(new Error('enough'));
    await expect(pending).rejects.toThrow('enough');
    expect(conn.listenerCount('jobCompleted')).toBe(0);
  });

  it('once() rejects when its connection closes first, and on a closed one at once', async () => {
    const conn = await Connection.open('test:///default');
    const pending = expect(conn.once('lifecycle')).rejects.toMatchObject({
      code: 'ERR_PMC_CONNECTION_CLOSED',
      message: 'the connection closed before a lifecycle event came: closed by its owner',
    });
    const filtered = expect(
      conn.once('jobCompleted', { filter: () => true, signal: new AbortController().signal }),
    ).rejects.toMatchObject({ code: 'ERR_PMC_CONNECTION_CLOSED' });
    await conn.close();
    await Promise.all([pending, filtered]);
    expect(conn.listenerCount('lifecycle') + conn.listenerCount('jobCompleted')).toBe(0);
    await expect(conn.once('migrationIteration')).rejects.toThrow(/closed before .* it was closed already/);
  });

  it('frees every registration after 300 on/off cycles and on close', async () => {
    const conn = await Connection.open('test:///default');
    const before = native.liveDomainEventListeners();
    for (let i = 0; i < 300; i++) {
      const fn = (): void => {};
      conn.on('lifecycle', fn);
      conn.on('migrationIteration', fn);
      await conn.eventsReady();
      conn.off('lifecycle', fn);
      conn.off('migrationIteration', fn);
    }
    await until(() => native.liveDomainEventListeners() === before);
    let events = 0;
    conn.on('lifecycle', () => events++);
    await conn.eventsReady();
    expect(native.liveDomainEventListeners()).toBe(before + 1);
    await conn.close();
    await until(() => native.liveDomainEventListeners() === before);
    // A listener on a closed connection hears nothing (and registers nothing).
    const other = await Connection.open('test:///default');
    await other.createDomain(transient('events-after-close'));
    await other.close();
    expect(events).toBe(0);
  });
});
