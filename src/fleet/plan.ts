/**
 * An evacuation's plan: every guest of the source against every candidate,
 * all checked at once on shared facts (each host's once, each guest's once),
 * then assigned biggest guest first to the best-ranked allowed candidate that
 * still has room (docs/fleet.md, "Planning" and "Capacity").
 */
import { setMaxListeners } from 'node:events';
import type { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { ACTIVE_STATES } from '../checks/util.js';
import { invalidArgument, isLibvirtError } from '../errors.js';
import { LIVE_ONLY_OPTIONS } from '../options/index.js';
import { DomainFacts } from '../pmc/facts.js';
import { capabilitiesOf } from '../pmc/parsed-facts.js';
import type { Report, Verdict } from '../pmc/types.js';
import { allows, blockingChecks, withStrict } from '../pmc/verdict.js';
import { validateFleetOptions } from './options.js';
import {
  assessPairs,
  byRank,
  fleetHosts,
  guestNeeds,
  isFleetConnection,
  hostCapacity,
  mibOf,
  scoreCandidate,
  validatePlaceArguments,
  type GuestNeeds,
  type HostCapacity,
  type Taken,
} from './place.js';
import type {
  EvacuationGuest,
  EvacuationPlan,
  FleetConnection,
  PlaceOptions,
  PlanOptions,
  SavedOptions,
} from './types.js';

const MiB = 2 ** 20;

/**
 * vCPUs planned onto a host may reach this many times its CPUs (Nova's
 * default cpu_allocation_ratio): KVM overcommits vCPUs, so they are a limit
 * only far out, and otherwise a preference (the score's vCPU headroom).
 */
export const VCPU_ALLOCATION_RATIO = 16;

/**
 * The run options a guest is checked (and migrated) with: the plan's, and
 * for a shut-off guest an offline migration that moves its definition
 * (offline, persistent, undefineSource; the option table's live-only options dropped).
 */
export function guestRunOptions(options: PlaceOptions, offline: boolean): PlaceOptions {
  if (!offline) return options;
  const rest: Record<string, unknown> = { ...options };
  for (const name of LIVE_ONLY_OPTIONS) delete rest[name];
  return { ...(rest as PlaceOptions), offline: true, persistent: true, undefineSource: true };
}

/** The JSON-able options a plan keeps (SavedOptions): no checks, signals, callbacks or raw escape hatches. */
export function savedOptions(options: PlanOptions): SavedOptions {
  const {
    checks: _checks,
    checkFiles: _checkFiles,
    plugins: _plugins,
    noBuiltins: _noBuiltins,
    sequential: _sequential,
    signal: _signal,
    rawMigrateFlags: _rawFlags,
    rawMigrateParams: _rawParams,
    domains: _domains,
    ...saved
  } = options as PlanOptions & { onProgress?: unknown; progressIntervalMs?: unknown };
  delete (saved as { onProgress?: unknown }).onProgress;
  delete (saved as { progressIntervalMs?: unknown }).progressIntervalMs;
  return saved as SavedOptions;
}

function validatePlanOptions(candidates: readonly FleetConnection[], options: PlanOptions): void {
  validatePlaceArguments(candidates, options);
  validateFleetOptions(options, { candidates: candidates.length, guests: 'many' });
  const { domains, reserveMemoryMiB, includeInactive } = options;
  if (domains !== undefined && !(Array.isArray(domains) && domains.every((d) => typeof d === 'string' && d !== ''))) {
    throw invalidArgument('domains', 'an array of domain names', domains);
  }
  if (reserveMemoryMiB !== undefined && !(Number.isSafeInteger(reserveMemoryMiB) && reserveMemoryMiB >= 0)) {
    throw invalidArgument('reserveMemoryMiB', 'a whole number of MiB, 0 or more', reserveMemoryMiB);
  }
  if (includeInactive !== undefined && typeof includeInactive !== 'boolean') {
    throw invalidArgument('includeInactive', 'a boolean', includeInactive);
  }
}

/**
 * The guests to move: the named ones, else every active guest (running,
 * paused, …; persistent or transient), and with includeInactive the shut-off
 * persistent ones too (offline). A named guest that is shut off moves offline
 * (naming it asks for it); a transient guest is never shut off.
 */
async function guestsToMove(
  source: Connection,
  options: PlanOptions,
): Promise<{ domain: Domain; facts: DomainFacts; offline: boolean }[]> {
  const named = options.domains !== undefined;
  const listed = await source.listAllDomains();
  // Named guests from that one listing; a name it lacks is looked up, so that libvirt says why.
  const byName = new Map(listed.map((d) => [d.name, d]));
  const domains = named
    ? await Promise.all(
        [...new Set(options.domains)].map((name) =>
          byName.get(name) ? Promise.resolve(byName.get(name)!) : source.lookupDomainByName(name),
        ),
      )
    : listed;
  const guests = await Promise.all(
    domains.map(async (domain) => {
      const facts = new DomainFacts(domain);
      // A listed guest that is gone by now (a transient one shut down) has nothing to move.
      const known = await facts.state().catch((e: unknown) => {
        if (!named && isLibvirtError(e, 'VIR_ERR_NO_DOMAIN')) return null;
        throw e;
      });
      if (!known) return null;
      const { state } = known;
      if (ACTIVE_STATES.has(state)) return { domain, facts, offline: false };
      if ((named || options.includeInactive) && (await facts.isPersistent())) return { domain, facts, offline: true };
      return null;
    }),
  );
  return guests.filter((g) => g !== null);
}

/** A candidate as the assignment sees it: its URI and what it offers (null: its facts could not be read). */
export interface CandidateHost {
  uri: string;
  capacity: HostCapacity | null;
}

/** One guest's check run against one candidate, reduced to what the assignment needs. */
export interface PairVerdict {
  uri: string;
  hostname: string;
  verdict: Verdict;
  /** The checks that block it (blockingChecks). */
  blocking: string[];
  /** migration.convergence's forecast as a fraction of its timeout, or null. */
  convergence: number | null;
}

/** One guest's run against one candidate as the assignment sees it: its verdict, and what blocks it (blockingChecks). */
export function pairVerdict(
  run: {
    candidate: { uri: string };
    report: Pick<Report, 'destination' | 'checks' | 'verdict'>;
    convergence: number | null;
  },
  strict: boolean,
): PairVerdict {
  return {
    uri: run.candidate.uri,
    hostname: run.report.destination.hostname,
    verdict: run.report.verdict,
    blocking: blockingChecks(run.report, strict),
    convergence: run.convergence,
  };
}

/** A guest to place, with its verdict on every candidate. */
export interface GuestToPlace {
  domain: string;
  uuid: string;
  offline: boolean;
  needs: GuestNeeds;
  pairs: PairVerdict[];
}

export interface AssignOptions {
  strict: boolean;
  reserveBytes: number;
  /** The source's host CPU model (the score prefers the same). */
  sourceCpuModel: string | null;
}

/** Biggest first: memory, then vCPUs, then name (so a plan is the same every time). */
function biggestFirst(a: GuestToPlace, b: GuestToPlace): number {
  return (
    b.needs.bytes - a.needs.bytes ||
    b.needs.vcpus - a.needs.vcpus ||
    (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0)
  );
}

/**
 * The assignment (docs/fleet.md, "Capacity"), pure: biggest guest first, each
 * to the best-ranked candidate whose checks allow it and that still has room,
 * where room is the host's free memory less the reserve less the memory of
 * the guests already planned there, and vCPUs up to VCPU_ALLOCATION_RATIO ×
 * its CPUs. Scores are taken with what is already planned there, so guests
 * spread. An offline guest takes no memory (none is allocated until it starts).
 */
export function assignGuests(
  guests: readonly GuestToPlace[],
  hosts: readonly CandidateHost[],
  options: AssignOptions,
): EvacuationGuest[] {
  const { strict, reserveBytes, sourceCpuModel } = options;
  const taken = new Map<string, Taken>(hosts.map((h) => [h.uri, { bytes: 0, vcpus: 0 }]));
  const capacityOf = new Map(hosts.map((h) => [h.uri, h.capacity]));
  const roomOf = (uri: string): number => (capacityOf.get(uri)?.freeBytes ?? 0) - reserveBytes - taken.get(uri)!.bytes;

  return [...guests].sort(biggestFirst).map((guest): EvacuationGuest => {
    const needs: GuestNeeds = guest.offline ? { bytes: 0, vcpus: guest.needs.vcpus } : guest.needs;
    const ranked = guest.pairs
      .map((pair) => {
        const capacity = capacityOf.get(pair.uri) ?? null;
        const verdict = withStrict(pair.verdict, strict);
        const score = capacity
          ? scoreCandidate(capacity, needs, sourceCpuModel, pair.convergence, taken.get(pair.uri))
          : 0;
        return { pair, capacity, uri: pair.uri, verdict, score };
      })
      .sort(byRank);
    const fits = (r: (typeof ranked)[number]): boolean =>
      r.capacity !== null &&
      roomOf(r.uri) >= needs.bytes &&
      taken.get(r.uri)!.vcpus + needs.vcpus <= VCPU_ALLOCATION_RATIO * r.capacity.cpus;
    const allowed = ranked.filter((r) => allows(r.verdict, strict));
    const chosen = allowed.find(fits);

    let reason: string;
    if (chosen) {
      const t = taken.get(chosen.uri)!;
      taken.set(chosen.uri, { bytes: t.bytes + needs.bytes, vcpus: t.vcpus + needs.vcpus });
      const passed = allowed.slice(0, allowed.indexOf(chosen)).map((r) => r.uri);
      reason =
        `${chosen.verdict} on ${chosen.pair.hostname || chosen.uri} (score ${chosen.score}); ` +
        `${mibOf(roomOf(chosen.uri))} left there for further guests` +
        (passed.length ? `; better-ranked ${passed.join(', ')} had no room` : '');
    } else if (allowed.length > 0) {
      const rooms = allowed
        .map((r) => (r.capacity ? `${r.uri} has ${mibOf(roomOf(r.uri))}` : `${r.uri} has unknown capacity`))
        .join(', ');
      reason =
        `capacity: the checks allow ${allowed.map((r) => r.uri).join(', ')}, but none has room for ` +
        `${mibOf(needs.bytes)} and ${needs.vcpus} vCPUs (after the guests planned there and a reserve of ` +
        `${mibOf(reserveBytes)}: ${rooms})`;
    } else {
      reason =
        'blocked by checks on every candidate: ' +
        ranked.map((r) => `${r.uri}: ${r.pair.blocking.join(', ') || r.verdict}`).join('; ');
    }
    return {
      domain: guest.domain,
      uuid: guest.uuid,
      offline: guest.offline,
      memoryKiB: guest.needs.bytes / 1024,
      vcpus: guest.needs.vcpus,
      destination: chosen ? chosen.uri : null,
      verdict: chosen ? chosen.verdict : 'blocked',
      reason,
      ranking: ranked.map((r) => ({ uri: r.uri, verdict: r.verdict, score: r.score })),
      migration: { attempted: false, succeeded: false, durationMs: 0, error: null },
      domainLocation: 'source',
    };
  });
}

/**
 * Guests whose check runs (one per candidate) are under way at once while planning. All at once,
 * a hundred guests against nine hosts are 900 runs alive together, each with its facts, parsed
 * XML, threads and report: `pmc evacuate --plan-only` of them peaked at 208 MiB, and 153 MiB with
 * 16 at once, no slower (bench/fleet.bench.mjs --scale; 8 at once: 145 MiB, but more waves).
 */
export const GUESTS_ASSESSED_AT_ONCE = 16;

/** `fn` over `items`, at most `n` at once; the results in the items' order. */
async function mapAtMost<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return results;
}

/**
 * The plan's own signal, aborted with the caller's: the plan's runs (hundreds
 * at once) listen to it, the caller's signal only to one listener, and
 * Node's warning about many listeners on one signal does not apply.
 */
function planSignal(caller: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const own = new AbortController();
  setMaxListeners(0, own.signal);
  const abort = () => own.abort(caller.reason);
  if (caller.aborted) abort();
  else caller.addEventListener('abort', abort, { once: true });
  return { signal: own.signal, dispose: () => caller.removeEventListener('abort', abort) };
}

/**
 * Plans the evacuation of `source` onto `candidates` (docs/fleet.md): every
 * guest to move (guestsToMove) is checked against every candidate at once,
 * facts shared (each host's fetched once, each guest's once), then assigned
 * by assignGuests. A guest that can go nowhere gets destination null, verdict
 * 'blocked' and the reason. Nothing is migrated. Rejects on invalid options,
 * an unknown named guest, or a source that cannot list its guests.
 */
export async function planEvacuation(
  source: FleetConnection,
  candidates: FleetConnection[],
  options: PlanOptions = {},
): Promise<EvacuationPlan> {
  if (!isFleetConnection(source)) throw invalidArgument('source', 'a Connection, or { connection, uri }');
  validatePlanOptions(candidates, options);
  const strict = options.strict ?? false;
  const { source: src, candidates: hosts } = await fleetHosts(source, candidates);
  const signal = options.signal && planSignal(options.signal);
  const runOptions = signal ? { ...options, signal: signal.signal } : options;

  const [candidateHosts, sourceCpuModel, guests] = await Promise.all([
    Promise.all(
      hosts.map(async (h): Promise<CandidateHost> => ({
        uri: h.uri,
        capacity: await hostCapacity(h.facts).catch(() => null),
      })),
    ),
    capabilitiesOf(src.facts).then(
      (c) => c.cpuModel,
      () => null,
    ),
    guestsToMove(src.connection, options).then((found) =>
      mapAtMost(found, GUESTS_ASSESSED_AT_ONCE, async ({ domain, facts, offline }): Promise<GuestToPlace> => {
        const [needs, runs] = await Promise.all([
          guestNeeds(facts).catch(() => ({ bytes: 0, vcpus: 0 })),
          assessPairs(domain, facts, src, hosts, guestRunOptions(runOptions, offline)),
        ]);
        return {
          domain: domain.name,
          uuid: domain.uuid,
          offline,
          needs,
          pairs: runs.map((run) => pairVerdict(run, strict)),
        };
      }),
    ),
  ]).finally(() => signal?.dispose());

  const planned = assignGuests(guests, candidateHosts, {
    strict,
    reserveBytes: (options.reserveMemoryMiB ?? 0) * MiB,
    sourceCpuModel,
  });
  return {
    version: 1,
    source: src.uri,
    candidates: candidateHosts.map((h) => h.uri),
    options: savedOptions(options),
    guests: planned,
  };
}
