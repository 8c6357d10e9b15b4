/**
 * A log of the libvirt calls made through some connections and the domains
 * looked up on them: a pass-through wrapper on the binding's native handles.
 * The addon's prototype methods are read-only, so each handle gets wrappers
 * of its own; domain handles that logged calls return (lookups, listings,
 * migrate3) are logged in turn, and so is code that calls `.native` directly.
 * Every call goes to libvirt unchanged. For tests that count real round trips
 * and benches that replay them (they import it from the checkout's dist/): not
 * shipped, package.json's "files" leaves it out of the tarball.
 */

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

export interface LoggedLibvirtCall {
  /** The native connection the call went to (a domain's own connection for domain calls). */
  connection: object;
  /** The domain's name for a domain call, else null. */
  domain: string | null;
  name: string;
  args: unknown[];
}

export interface LibvirtCallLog {
  readonly calls: readonly LoggedLibvirtCall[];
  /** Puts the handles back as they were (a call still in flight wraps nothing more). */
  restore(): void;
}

type Method = (this: object, ...args: unknown[]) => unknown;

/** A native domain handle, as lookups and listings return them (duck-typed: the addon does not export the class). */
function isNativeDomain(v: unknown): v is object {
  const d = v as { getXMLDesc?: unknown; getConnection?: unknown } | null;
  return (
    d !== null && typeof d === 'object' && typeof d.getXMLDesc === 'function' && typeof d.getConnection === 'function'
  );
}

/**
 * Stands between a logged call's answer and its caller: gets the call and
 * libvirt's answer, returns what the caller gets (a test that holds answers
 * back to count round trips, as a slow wire would).
 */
export type CallRelay = (call: LoggedLibvirtCall, answer: Promise<unknown>) => Promise<unknown>;

/** Starts logging the calls to `connections` and `domains` (anything with a native handle); restore() when done. */
export function logLibvirtCalls(
  connections: { native: object }[],
  domains: { native: object }[] = [],
  relay?: CallRelay,
): LibvirtCallLog {
  const calls: LoggedLibvirtCall[] = [];
  const wrapped = new Map<object, string[]>();
  let restored = false;

  const wrapReturned = (v: unknown): void => {
    if (restored) return;
    if (Array.isArray(v)) v.forEach(wrapReturned);
    else if (isNativeDomain(v)) wrap(v, true);
  };
  function wrap(handle: object, isDomain: boolean): void {
    if (wrapped.has(handle)) return;
    const names: string[] = [];
    wrapped.set(handle, names);
    const proto = Object.getPrototypeOf(handle) as Record<string, Method>;
    const domain = isDomain ? String(proto.getName!.call(handle)) : null;
    const connection = isDomain ? (proto.getConnection!.call(handle) as object) : handle;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const original = proto[name];
      if (NOT_QUERIES.has(name) || typeof original !== 'function') continue;
      Object.defineProperty(handle, name, {
        configurable: true,
        writable: true,
        value(this: object, ...args: unknown[]) {
          const call = { connection, domain, name, args };
          calls.push(call);
          const result = original.apply(this, args);
          if (!(result instanceof Promise)) return result;
          const answer = result.then((v) => (wrapReturned(v), v));
          return relay ? relay(call, answer) : answer;
        },
      });
      names.push(name);
    }
  }
  for (const c of connections) wrap(c.native, false);
  for (const d of domains) wrap(d.native, true);
  return {
    calls,
    restore() {
      restored = true;
      for (const [handle, names] of wrapped) for (const n of names) delete (handle as Record<string, unknown>)[n];
      wrapped.clear();
    },
  };
}
