/**
 * Placement: where can this guest go? Every candidate gets the full check run
 * (the checked dry run), all at once, on facts fetched once per host and once
 * per guest; candidates are ranked by verdict, then by a score (docs/fleet.md).
 * Planning (./plan.ts) assesses every guest this way and adds capacity.
 */
import { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { checkWithSharedFacts } from '../api.js';
import { DomainFacts, HostFacts, type Facts } from '../pmc/facts.js';
import { capabilitiesOf, domainModel } from '../pmc/parsed-facts.js';
import { validateRunOptions } from '../pmc/run-options.js';
import type { Report, Verdict } from '../pmc/types.js';
import { allows } from '../pmc/verdict.js';
import type { CandidateAssessment, FleetConnection, Placement, PlaceOptions } from './types.js';
import { validateFleetOptions } from './options.js';
import { InvalidArgumentError, invalidArgument } from '../errors.js';

const MiB = 2 ** 20;

/** Allowed first, then allowed with warnings, then blocked. */
export const VERDICT_RANK: Record<Verdict, number> = { allowed: 0, 'allowed-with-warnings': 1, blocked: 2 };

/** The score's weights (docs/fleet.md, "Scoring"); they add up to 100. */
export const SCORE_WEIGHTS = { memory: 40, vcpus: 20, cpuModel: 20, convergence: 20 } as const;

/** What a host offers a guest, from its facts: read once per host, whatever the number of guests. */
export interface HostCapacity {
  /** Free memory now (virNodeGetFreeMemory), in bytes. */
  freeBytes: number;
  /** Physical memory (virNodeGetInfo), in bytes. */
  totalBytes: number;
  /** Host CPUs (virNodeGetInfo). */
  cpus: number;
  /** The host CPU model of its capabilities, or null when it names none. */
  cpuModel: string | null;
}

/** What a guest asks of a host. */
export interface GuestNeeds {
  /** The guest's memory (<memory>, what memory.available checks), in bytes. */
  bytes: number;
  vcpus: number;
}

/** What is already taken on a host before this guest: other guests planned there, and the reserve. */
export interface Taken {
  bytes: number;
  vcpus: number;
}

const NOTHING_TAKEN: Taken = { bytes: 0, vcpus: 0 };

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/**
 * The pre-copy forecast of migration.convergence for this pair, when it ran:
 * its time as a fraction of the convergence timeout (0 best, 1 never converges);
 * null when no bandwidth was known (the check could not forecast).
 */
export function convergenceFraction(report: Pick<Report, 'checks'>): number | null {
  const check = report.checks.find((c) => c.name === 'migration.convergence');
  const details = check?.details as
    { timeoutS?: number; forecast?: { converges?: boolean; seconds?: number } } | undefined;
  const forecast = details?.forecast;
  if (!check || !forecast || typeof details?.timeoutS !== 'number') return null;
  if (!forecast.converges || typeof forecast.seconds !== 'number') return 1;
  return clamp(forecast.seconds / details.timeoutS, 0, 1);
}

/**
 * The score of one candidate for one guest, 0 to 100 (higher is better), only
 * compared among candidates of the same verdict:
 * 40 × the fraction of the host's memory still free after the guest (and what
 * is taken), 20 × the fraction of its CPUs not yet given to vCPUs, 20 when its
 * CPU model is the source's, 20 × how much of the convergence timeout the
 * forecast leaves (only when a bandwidth is known: else the same for all).
 * Negative headroom counts as 0: the checks (and the plan's capacity) say no.
 */
export function scoreCandidate(
  host: HostCapacity,
  guest: GuestNeeds,
  sourceCpuModel: string | null,
  convergence: number | null,
  taken: Taken = NOTHING_TAKEN,
): number {
  const memory = host.totalBytes > 0 ? (host.freeBytes - taken.bytes - guest.bytes) / host.totalBytes : 0;
  const vcpus = host.cpus > 0 ? (host.cpus - taken.vcpus - guest.vcpus) / host.cpus : 0;
  const sameModel = host.cpuModel !== null && host.cpuModel === sourceCpuModel;
  const score =
    SCORE_WEIGHTS.memory * clamp(memory, 0, 1) +
    SCORE_WEIGHTS.vcpus * clamp(vcpus, 0, 1) +
    (sameModel ? SCORE_WEIGHTS.cpuModel : 0) +
    (convergence === null ? 0 : SCORE_WEIGHTS.convergence * (1 - convergence));
  return Math.round(score * 1000) / 1000;
}

/** A host with its facts, fetched once and shared by every run against it, and the URI it is named by. */
export interface FleetHost {
  connection: Connection;
  facts: HostFacts;
  uri: string;
}

function connectionOf(host: FleetConnection): Connection {
  return host instanceof Connection ? host : host.connection;
}

/**
 * The host of a FleetConnection: its facts, and its name (the caller's URI,
 * else getURI through the facts). A candidate is asked about every guest of
 * the call: one listing of its domains answers them all.
 */
export async function fleetHost(host: FleetConnection, side: 'source' | 'destination'): Promise<FleetHost> {
  const connection = connectionOf(host);
  const facts = new HostFacts(connection, side);
  if (side === 'destination') facts.answerLookupsFromListing();
  return { connection, facts, uri: host instanceof Connection ? await facts.uri() : host.uri };
}

/**
 * The hosts of a call, named: rejects when two candidates have one name (a
 * plan could not tell them apart). A candidate that is the source host is
 * for the checks to block (host.distinct), whatever it is called.
 */
export async function fleetHosts(
  source: FleetConnection,
  candidates: readonly FleetConnection[],
): Promise<{ source: FleetHost; candidates: FleetHost[] }> {
  const [src, ...hosts] = await Promise.all([
    fleetHost(source, 'source'),
    ...candidates.map((c) => fleetHost(c, 'destination')),
  ]);
  const seen = new Set<string>();
  for (const host of hosts) {
    if (seen.has(host.uri)) throw new InvalidArgumentError(`the candidate ${host.uri} is given twice`);
    seen.add(host.uri);
  }
  return { source: src!, candidates: hosts };
}

/** A host's capacity from its facts; capabilities are best effort (a host that cannot answer has no model). */
export async function hostCapacity(host: HostFacts): Promise<HostCapacity> {
  const [freeBytes, node, caps] = await Promise.all([
    host.freeMemory(),
    host.nodeInfo(),
    capabilitiesOf(host).catch(() => null),
  ]);
  return { freeBytes, totalBytes: node.memoryKiB * 1024, cpus: node.cpus, cpuModel: caps?.cpuModel ?? null };
}

/** One guest's full check run against one candidate, with what scoring needs. */
export interface PairRun {
  candidate: FleetHost;
  report: Report;
  /** Capacity of the candidate, or null when its facts could not be read (its checks say why). */
  capacity: HostCapacity | null;
  /** migration.convergence's forecast as a fraction of its timeout, or null. */
  convergence: number | null;
}

/**
 * The checked dry run of `domain` against every candidate, all at once,
 * sharing `source`'s, each candidate's and the guest's facts.
 */
export async function assessPairs(
  domain: Domain,
  domainFacts: DomainFacts,
  source: FleetHost,
  candidates: readonly FleetHost[],
  options: PlaceOptions,
): Promise<PairRun[]> {
  return Promise.all(
    candidates.map(async (candidate) => {
      // Peer-to-peer: the source daemon dials each candidate's URI, as `pmc migrate` and evacuate do.
      const run =
        options.p2p && options.destinationUri === undefined ? { ...options, destinationUri: candidate.uri } : options;
      const [report, capacity] = await Promise.all([
        checkWithSharedFacts(domain, candidate.connection, run, {
          source: source.facts,
          destination: candidate.facts,
          domain: domainFacts,
        }),
        hostCapacity(candidate.facts).catch(() => null),
      ]);
      return { candidate, report, capacity, convergence: convergenceFraction(report) };
    }),
  );
}

/** The guest's needs, from its facts (the parsed migratable XML the checks read too). */
export async function guestNeeds(facts: DomainFacts): Promise<GuestNeeds> {
  // domainModel reads only the guest's facts: no host is involved.
  const model = await domainModel({ domain: facts } as Facts);
  return { bytes: model.memoryKiB * 1024, vcpus: model.vcpus };
}

/** Allowed first, then allowed with warnings, then blocked; by score (higher first) within each; then by URI. */
export function byRank(a: { verdict: Verdict; score: number; uri: string }, b: typeof a): number {
  return (
    VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict] ||
    b.score - a.score ||
    (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0)
  );
}

export function isFleetConnection(value: unknown): value is FleetConnection {
  if (value instanceof Connection) return true;
  const named = value as { connection?: unknown; uri?: unknown } | null;
  return (
    typeof named === 'object' &&
    named !== null &&
    named.connection instanceof Connection &&
    typeof named.uri === 'string' &&
    named.uri !== ''
  );
}

export function validatePlaceArguments(candidates: readonly FleetConnection[], options: PlaceOptions): void {
  if (!Array.isArray(candidates) || candidates.length === 0)
    throw invalidArgument('candidates', 'a non-empty array', candidates);
  if (!candidates.every(isFleetConnection))
    throw invalidArgument('candidates', 'Connections, or { connection, uri } with a non-empty uri');
  validateRunOptions(options);
  validateFleetOptions(options, { candidates: candidates.length, guests: 'one' });
}

/** `bytes` as MiB, for reasons; room below none (a reserve above what is free) is none. */
export function mibOf(bytes: number): string {
  return `${Math.round(Math.max(0, bytes) / MiB)} MiB`;
}

/**
 * Where can `domain` go? Runs every check against every candidate at once
 * (each host's facts fetched once) and ranks them: allowed, then allowed with
 * warnings, then blocked, by score within each (docs/fleet.md). `best` is the
 * first allowed candidate (with `strict`, warnings block, so only a clean one).
 */
export async function placeDomain(
  domain: Domain,
  candidates: FleetConnection[],
  options: PlaceOptions = {},
): Promise<Placement> {
  validatePlaceArguments(candidates, options);
  const { source, candidates: hosts } = await fleetHosts(domain.connection, candidates);
  const domainFacts = new DomainFacts(domain);
  const [runs, needs, sourceModel] = await Promise.all([
    assessPairs(domain, domainFacts, source, hosts, options),
    guestNeeds(domainFacts).catch(() => ({ bytes: 0, vcpus: 0 })),
    capabilitiesOf(source.facts).then(
      (c) => c.cpuModel,
      () => null,
    ),
  ]);
  const assessed: CandidateAssessment[] = runs.map((run) => ({
    uri: run.candidate.uri,
    hostname: run.report.destination.hostname,
    verdict: run.report.verdict,
    score: run.capacity ? scoreCandidate(run.capacity, needs, sourceModel, run.convergence) : 0,
    checks: run.report.checks,
  }));
  assessed.sort(byRank);
  const best = assessed.find((c) => allows(c.verdict, options.strict ?? false)) ?? null;
  return { version: 1, domain: domain.name, candidates: assessed, best: best ? best.uri : null };
}
