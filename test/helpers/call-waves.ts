/**
 * Counts the dependent waves of real libvirt calls a piece of code makes, as
 * a slow wire would: every answer is held back until all calls in flight have
 * been answered and no new call came for `quietMs`, then all are delivered at
 * once (one round trip ends). A call issued while answers are held belongs to
 * the current wave (it cannot depend on them); one issued after a delivery
 * belongs to the next. libvirt answers every call (the test driver); only the
 * delivery to the caller waits.
 */
import type { Connection } from '../../src/binding/connection.js';
import type { Domain } from '../../src/binding/domain.js';
import { logLibvirtCalls, type LoggedLibvirtCall } from '../../src/binding/call-log.js';

export interface WaveCall {
  /** 1 for the calls issued before any answer arrived, 2 for those after the first delivery, … */
  wave: number;
  /** `source`/`destination`, then `domain(name).` for a domain call, then the call: `source.getCapabilities` */
  key: string;
}

export interface CallWaves {
  readonly calls: readonly WaveCall[];
  /** How many waves the calls took. */
  readonly waves: number;
  /** The calls of one wave, by key, sorted. */
  keysOf(wave: number): string[];
  restore(): void;
}

export function logCallWaves(source: Connection, destination: Connection, domains: Domain[], quietMs = 50): CallWaves {
  const calls: WaveCall[] = [];
  let wave = 1;
  let inFlight = 0;
  let issued = 0;
  let held: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;

  const deliverWhenQuiet = () => {
    clearTimeout(timer);
    const issuedBefore = issued;
    timer = setTimeout(() => {
      if (inFlight > 0 || issued !== issuedBefore) return;
      wave += 1;
      const deliver = held;
      held = [];
      for (const d of deliver) d();
    }, quietMs);
  };
  const sideOf = (c: LoggedLibvirtCall) => (c.connection === source.native ? 'source' : 'destination');
  const log = logLibvirtCalls([source, destination], domains, (call, answer) => {
    calls.push({
      wave,
      key: `${sideOf(call)}.${call.domain === null ? '' : `domain(${call.domain}).`}${call.name}`,
    });
    issued += 1;
    inFlight += 1;
    clearTimeout(timer);
    return new Promise((resolve, reject) => {
      const hold = (deliver: () => void) => {
        held.push(deliver);
        inFlight -= 1;
        if (inFlight === 0) deliverWhenQuiet();
      };
      answer.then(
        (v) => hold(() => resolve(v)),
        (e: unknown) => hold(() => reject(e as Error)),
      );
    });
  });
  return {
    calls,
    get waves() {
      return Math.max(0, ...calls.map((c) => c.wave));
    },
    keysOf: (w) =>
      calls
        .filter((c) => c.wave === w)
        .map((c) => c.key)
        .sort(),
    restore: () => {
      clearTimeout(timer);
      log.restore();
      for (const d of held) d();
      held = [];
    },
  };
}
