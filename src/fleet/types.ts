/**
 * The shapes of fleet work: where a guest can go (placement), and a host's
 * evacuation (its plan and its report). Plans and reports are plain JSON
 * (`docs/place.schema.json`, `docs/evacuate.schema.json`), so a plan saved by
 * `pmc evacuate --plan-only --json` can be executed later, and a finished
 * evacuation's report drives the return trip.
 */
import type { Connection } from '../binding/connection.js';
import type { CheckReportEntry, MigrationOptions, MigrationOutcome, Verdict } from '../pmc/types.js';
import type { RunOptions } from '../pmc/run-options.js';

/**
 * A host as the fleet functions take it: a connection, named in placements,
 * plans and reports by its libvirt URI (virConnectGetURI); or a connection
 * with the URI to name it by, such as the one the operator typed (`pmc`
 * passes those, so a saved plan holds the URIs its user wrote). Names are
 * unique within a call: they key the plan, and an execution opens them.
 */
export type FleetConnection = Connection | { connection: Connection; uri: string };

/** One candidate host for one guest: its full check run and its rank's score. */
export interface CandidateAssessment {
  /** The candidate's URI: the one the caller named it by (FleetConnection), else its getURI(). */
  uri: string;
  hostname: string;
  verdict: Verdict;
  /** Higher is better; only compares candidates of the same verdict (docs/fleet.md). */
  score: number;
  checks: CheckReportEntry[];
}

/** `placeDomain`'s answer and `pmc place --json` (docs/place.schema.json). */
export interface Placement {
  version: 1;
  domain: string;
  /** Ranked: allowed, then allowed-with-warnings, then blocked; by score within each. */
  candidates: CandidateAssessment[];
  /** The URI of the first allowed candidate, or null when none is. */
  best: string | null;
}

/** Options of placement and planning: a migration's (they decide the checks) and how checks run. */
export type PlaceOptions = Omit<RunOptions, 'onProgress' | 'progressIntervalMs'>;

export interface PlanOptions extends PlaceOptions {
  /** Only these guests (names); default every active guest of the source. */
  domains?: string[];
  /** Also move shut-off persistent guests, offline. */
  includeInactive?: boolean;
  /** Memory kept free on every candidate, in MiB (like Nova's reserved host memory). */
  reserveMemoryMiB?: number;
}

/** What of the options a plan keeps: the migration's, and what decides a verdict. */
export type SavedOptions = MigrationOptions &
  Pick<PlanOptions, 'strict' | 'skip' | 'timeoutMs' | 'includeInactive' | 'reserveMemoryMiB'>;

/** Where a guest runs, verified on both hosts. */
export type DomainLocation = 'source' | 'destination' | 'unknown';

/**
 * One guest of an evacuation: in a plan, where it is to go; in a report, also
 * how its migration went and where it is now.
 */
export interface EvacuationGuest {
  domain: string;
  uuid: string;
  /** Moved offline (a shut-off persistent guest, `includeInactive`). */
  offline: boolean;
  memoryKiB: number;
  vcpus: number;
  /** The URI it was planned to, or null when no candidate may take it. */
  destination: string | null;
  /** The planned (or, after execution, the last checked) candidate's verdict; 'blocked' when none. */
  verdict: Verdict;
  /** Why this destination, or why none: the critical checks that block it. */
  reason: string;
  /** Every candidate in rank order, for falling back when a re-check blocks the planned one. */
  ranking: { uri: string; verdict: Verdict; score: number }[];
  migration: MigrationOutcome;
  domainLocation: DomainLocation;
}

/** A plan (nothing attempted yet) or a finished evacuation's report (docs/evacuate.schema.json). */
export interface Evacuation {
  version: 1;
  /** The source's URI (FleetConnection: as named by the caller). */
  source: string;
  /** The candidates' URIs (as named by the caller). */
  candidates: string[];
  /** The options the plan was made for (the JSON-able part); execution uses the same. */
  options: SavedOptions;
  guests: EvacuationGuest[];
  /** The run was interrupted (AbortSignal, Ctrl-C). */
  cancelled?: boolean;
}

/** A plan is an evacuation whose migrations were not attempted. */
export type EvacuationPlan = Evacuation;
export type EvacuationReport = Evacuation;
