/**
 * Facts that outlive a run, for services (opt-in: RunOptions.factCache): what
 * a host answered is kept per connection for a TTL, so that a service's
 * hundredth check of a host does not ask libvirt what it asked a second ago.
 * Every report says how old each fact it used was (`factAgesMs`).
 *
 * What changes when a guest starts, stops, is defined, undefined or migrated
 * (the host's domains, free memory and pages) is also dropped at once on the
 * connection's lifecycle event, and is kept at all only while libvirt
 * delivers those events to this connection (their registration succeeded).
 * The liveness of the connection (`isAlive`) and everything about the guest
 * itself (its XML, state, jobs) are never kept: each run asks them.
 * docs/security.md, "The service fact cache".
 */
import type { Connection } from '../binding/connection.js';

/** Facts kept only while the connection's lifecycle events arrive (a guest's start or stop changes them). */
const GUEST_DEPENDENT = /^(lookupDomainBy|isActive:|domains$|freeMemory$|freePages:)/;
/** Never kept: asked by every run. */
const ALWAYS_FRESH = new Set(['isAlive']);

interface Kept {
  value: Promise<unknown>;
  /** performance.now() when it was asked. */
  at: number;
}

/** One connection's kept facts. */
class ConnectionFacts {
  readonly kept = new Map<string, Kept>();
  /** Whether lifecycle events reach this connection (their registration succeeded). */
  eventsFlowing = false;
  readonly onLifecycle = (): void => this.drop(GUEST_DEPENDENT);

  constructor(readonly onClose: () => void) {}

  drop(which: RegExp): void {
    for (const key of [...this.kept.keys()]) if (which.test(key)) this.kept.delete(key);
  }
}

export interface ServiceFactCacheOptions {
  /** How long a fact is kept, in ms (default 10 000). */
  ttlMs?: number;
}

/**
 * A fact cache shared by the runs of one service: pass it as
 * `checkPMC(dst, { factCache })` to every run. Per connection, so two
 * connections (even to one host, with other credentials) never see each
 * other's facts. `close()` forgets everything and stops listening.
 */
export class ServiceFactCache {
  readonly ttlMs: number;
  private readonly byConnection = new Map<Connection, ConnectionFacts>();

  constructor(options: ServiceFactCacheOptions = {}) {
    const ttlMs = options.ttlMs ?? 10_000;
    if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new RangeError(`ttlMs must be a finite number ≥ 0, not ${ttlMs}`);
    this.ttlMs = ttlMs;
  }

  /**
   * The fact `key` of `connection`: the kept one while younger than the TTL,
   * else `fetch()`'s (kept unless it fails). `ageMs`: how old the answer was
   * when asked (0 for a new one).
   */
  get<T>(connection: Connection, key: string, fetch: () => Promise<T>): { value: Promise<T>; ageMs: number } {
    if (ALWAYS_FRESH.has(key) || !connection.isOpen) return { value: fetch(), ageMs: 0 };
    const facts = this.factsOf(connection);
    const now = performance.now();
    const kept = facts.kept.get(key);
    if (kept && now - kept.at <= this.ttlMs) return { value: kept.value as Promise<T>, ageMs: now - kept.at };
    const value = fetch();
    if (!GUEST_DEPENDENT.test(key) || facts.eventsFlowing) {
      const entry = { value, at: now };
      facts.kept.set(key, entry);
      value.catch(() => {
        if (facts.kept.get(key) === entry) facts.kept.delete(key);
      });
    }
    return { value, ageMs: 0 };
  }

  /** Forgets every kept fact (of one connection, or of all). */
  clear(connection?: Connection): void {
    if (connection) this.byConnection.get(connection)?.kept.clear();
    else for (const facts of this.byConnection.values()) facts.kept.clear();
  }

  /** Forgets everything and removes its listeners from every connection. */
  close(): void {
    for (const connection of [...this.byConnection.keys()]) this.forget(connection);
  }

  /** A closed connection's facts go, with the listeners (nothing keeps a closed connection alive). */
  private forget(connection: Connection): void {
    const facts = this.byConnection.get(connection);
    if (!facts) return;
    this.byConnection.delete(connection);
    connection.off('lifecycle', facts.onLifecycle);
    connection.off('close', facts.onClose);
  }

  private factsOf(connection: Connection): ConnectionFacts {
    let facts = this.byConnection.get(connection);
    if (!facts) {
      // Connections closed by the service since: their facts go (libvirt emits no close for those).
      for (const known of [...this.byConnection.keys()]) if (!known.isOpen) this.forget(known);
      const made = new ConnectionFacts(() => this.forget(connection));
      facts = made;
      this.byConnection.set(connection, made);
      connection.once('close', made.onClose);
      connection.on('lifecycle', made.onLifecycle);
      connection.eventsReady().then(
        () => {
          made.eventsFlowing = this.byConnection.get(connection) === made;
        },
        () => {
          made.eventsFlowing = false;
        },
      );
    }
    return facts;
  }
}
