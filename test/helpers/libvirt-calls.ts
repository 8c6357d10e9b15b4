/**
 * Counts the real libvirt calls a piece of code makes: a pass-through spy on
 * the binding's native handles (`connection.native`, `domain.native`). The
 * addon's prototype methods are read-only, so each handle gets own wrappers;
 * domain handles that spied calls return (lookups, listings, migrate3) are
 * spied on in turn, so a check that looks a guest up and asks it something
 * is seen, and so is code that calls `.native` directly. Each call goes
 * through unchanged: libvirt answers every one, nothing is mocked.
 */
import type { Connection } from '../../src/binding/connection.js';
import type { Domain } from '../../src/binding/domain.js';

/** Local accessors that ask the handle, not the daemon; and lifecycle calls. */
const NOT_QUERIES = new Set([
  'constructor',
  'getName',
  'getUUIDString',
  'getConnection',
  'isOpen',
  'setCloseListener',
  'close',
]);

export interface LibvirtCall {
  /** The native connection the call went to (a domain's own connection for domain calls). */
  connection: object;
  /** `getCapabilities()`, `domain(guest1).getXMLDesc(1)`, … the call with its arguments. */
  key: string;
}

export interface LibvirtCallCounter {
  readonly calls: readonly LibvirtCall[];
  /** The calls that went to `conn` (its own and its domains'), by key. */
  keysOn(conn: Connection): string[];
  /** Keys asked of `conn` more than once, with their counts. */
  repeatedOn(conn: Connection): Record<string, number>;
  /** Puts the binding back as it was. */
  restore(): void;
}

type Method = (this: object, ...args: unknown[]) => unknown;

function describeArg(a: unknown): string {
  if (a !== null && typeof a === 'object') return Array.isArray(a) ? JSON.stringify(a) : '[object]';
  return JSON.stringify(a) ?? 'undefined';
}

/** A native domain handle, as lookups and listings return them (duck-typed: the addon does not export the class). */
function isNativeDomain(v: unknown): v is object {
  const d = v as { getXMLDesc?: unknown; getConnection?: unknown } | null;
  return (
    d !== null && typeof d === 'object' && typeof d.getXMLDesc === 'function' && typeof d.getConnection === 'function'
  );
}

/**
 * Starts counting the calls to `connections` and their domains (`domains`
 * already looked up, and every domain a counted call returns). Call
 * `restore()` when done, in a `finally`.
 */
export function countLibvirtCalls(connections: Connection[], domains: Domain[] = []): LibvirtCallCounter {
  const calls: LibvirtCall[] = [];
  const spied = new Map<object, string[]>();
  let restored = false;

  const spyOnReturned = (v: unknown): void => {
    // A call still in flight at restore() must not leave wrappers behind.
    if (restored) return;
    if (Array.isArray(v)) v.forEach(spyOnReturned);
    else if (isNativeDomain(v)) spy(v, 'domain');
  };
  function spy(handle: object, kind: 'connection' | 'domain'): void {
    if (spied.has(handle)) return;
    const names: string[] = [];
    spied.set(handle, names);
    const proto = Object.getPrototypeOf(handle) as Record<string, Method>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const original = proto[name];
      if (NOT_QUERIES.has(name) || typeof original !== 'function') continue;
      const who = kind === 'connection' ? '' : `domain(${String(proto.getName!.call(handle))}).`;
      const connection = kind === 'connection' ? handle : (proto.getConnection!.call(handle) as object);
      Object.defineProperty(handle, name, {
        configurable: true,
        writable: true,
        value(this: object, ...args: unknown[]) {
          calls.push({ connection, key: `${who}${name}(${args.map(describeArg).join(', ')})` });
          const result = original.apply(this, args);
          if (result instanceof Promise) return result.then((v) => (spyOnReturned(v), v));
          return result;
        },
      });
      names.push(name);
    }
  }
  for (const c of connections) spy(c.native, 'connection');
  for (const d of domains) spy(d.native, 'domain');

  const keysOn = (conn: Connection) => calls.filter((c) => c.connection === conn.native).map((c) => c.key);
  return {
    calls,
    keysOn,
    repeatedOn(conn) {
      const counts: Record<string, number> = {};
      for (const k of keysOn(conn)) counts[k] = (counts[k] ?? 0) + 1;
      return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 1));
    },
    restore() {
      restored = true;
      for (const [handle, names] of spied) for (const n of names) delete (handle as Record<string, unknown>)[n];
      spied.clear();
    },
  };
}
