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
import { logLibvirtCalls } from '../../src/binding/call-log.js';

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

function describeArg(a: unknown): string {
  if (a !== null && typeof a === 'object') return Array.isArray(a) ? JSON.stringify(a) : '[object]';
  return JSON.stringify(a) ?? 'undefined';
}

/**
 * Starts counting the calls to `connections` and their domains (`domains`
 * already looked up, and every domain a counted call returns). Call
 * `restore()` when done, in a `finally`.
 */
export function countLibvirtCalls(connections: Connection[], domains: Domain[] = []): LibvirtCallCounter {
  const log = logLibvirtCalls(connections, domains);
  const calls: LibvirtCall[] = [];
  const sync = (): LibvirtCall[] => {
    for (const c of log.calls.slice(calls.length)) {
      const who = c.domain === null ? '' : `domain(${c.domain}).`;
      calls.push({ connection: c.connection, key: `${who}${c.name}(${c.args.map(describeArg).join(', ')})` });
    }
    return calls;
  };
  const keysOn = (conn: Connection) =>
    sync()
      .filter((c) => c.connection === conn.native)
      .map((c) => c.key);
  return {
    get calls() {
      return sync();
    },
    keysOn,
    repeatedOn(conn) {
      const counts: Record<string, number> = {};
      for (const k of keysOn(conn)) counts[k] = (counts[k] ?? 0) + 1;
      return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 1));
    },
    restore() {
      log.restore();
    },
  };
}
