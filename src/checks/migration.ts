/** The migration's own options: persistence, contradicting flags, and whether pre-copy converges. */
import type { CheckDefinition, MigrationOptions } from '../pmc/types.js';
import { replacementXmlProblem } from '../model/replacement-xml.js';
import { domainModel } from '../pmc/parsed-facts.js';
import { ACTIVE_STATES, copiesStorage, fail, notVerifiableBeforePerform, pass, skip } from './util.js';
import { constants } from '../binding/native.js';
import { decodeRawMigration } from '../options/index.js';
import type { RunOptions } from '../pmc/run-options.js';
import { PmcError } from '../errors.js';

export const persistenceSafe: CheckDefinition = {
  name: 'persistence.safe',
  severity: 'critical',
  description:
    'undefine-source comes with persistent, else the guest is defined nowhere once it stops (a safety rule; libvirt allows it).',
  anchor: 'libvirt-pmc safety rule (virsh migrate --undefinesource without --persistent)',
  remedy: 'Add persistent (virsh --persistent) to keep a definition on the destination, or drop undefineSource.',
  async run({ facts, options }) {
    if (options.undefineSource && !options.persistent) {
      const persistent = await facts.domain.isPersistent();
      return fail(
        `undefineSource without persistent ${persistent ? 'removes the definition from the source and leaves' : 'leaves'} ` +
          `only a transient guest on the destination: once it stops it exists nowhere; add persistent`,
      );
    }
    return pass(
      options.undefineSource ? 'the definition moves with the guest (persistent)' : 'the source keeps its definition',
    );
  },
};

/**
 * What libvirt's qemuMigrationDstPrepareAny refuses in a migration URI: a
 * scheme other than tcp, rdma or unix, or no host for tcp and rdma. A bare
 * `host:port` is fine (qemuMigrationAnyParseURI reads it as tcp).
 */
export function migrateUriProblem(uri: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(uri);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  if (!['tcp', 'rdma', 'unix'].includes(scheme)) return `unsupported scheme ${scheme} in migration URI ${uri}`;
  if (scheme !== 'unix' && m[2]!.replace(/^.*@/, '').replace(/:\d*$/, '') === '')
    return `missing host in migration URI ${uri}`;
  return null;
}

/** Each contradiction libvirt (or virsh) refuses, with libvirt's own words where it has them. */
export function flagProblems(
  options: Readonly<MigrationOptions>,
  diskTargets: string[],
  guest?: { uuid: string; xml?: string },
): string[] {
  const p: string[] = [];
  if (guest) {
    for (const [what, text] of [
      ['destXml', options.destXml],
      ['persistentXml', options.persistentXml],
    ] as const) {
      const problem = text === undefined ? null : replacementXmlProblem(text, what, guest, what === 'destXml');
      if (problem) p.push(problem);
    }
  }
  const copies = copiesStorage(options);
  if (options.live && options.offline) p.push('live and offline exclude each other (virsh refuses the pair)');
  if (options.copyStorageAll && options.copyStorageInc) p.push('copyStorageAll and copyStorageInc exclude each other');
  if (options.postcopy && (!options.live || options.suspend)) {
    p.push(
      'post-copy needs a live migration that does not pause ("post-copy migration is not supported with non-live or paused migration")',
    );
  }
  if (options.postcopy && options.tunnelled) p.push('post-copy is not supported with tunnelled migration');
  if (options.postcopyResume && !options.postcopy) {
    p.push('postcopyResume needs postcopy ("resuming failed post-copy migration requires post-copy to be enabled")');
  }
  if (options.postcopyResume && options.offline) p.push('an offline migration has no failed post-copy to resume');
  if (options.offline) {
    if (copies) p.push('offline migration cannot handle non-shared storage (copy-storage)');
    if (!options.persistent) p.push('offline migration must be specified with the persistent flag set');
    if (options.tunnelled) p.push('tunnelled offline migration does not make sense');
  }
  if (options.tunnelled && !options.p2p) p.push('tunnelled migration needs peer-to-peer (p2p)');
  if (options.migrateUri !== undefined) {
    const problem = migrateUriProblem(options.migrateUri);
    if (problem) p.push(problem);
  }
  // parallelConnections implies VIR_MIGRATE_PARALLEL (src/options/table.ts).
  const parallel = Boolean(options.parallel) || options.parallelConnections !== undefined;
  if (options.tunnelled && parallel) p.push('tunnelled and parallel exclude each other (virDomainMigrate3)');
  if (options.zerocopy && !parallel) p.push('zero-copy is only available for parallel migration');
  if (options.copyStorageSynchronousWrites && !copies) {
    p.push('copyStorageSynchronousWrites needs copyStorageAll or copyStorageInc (virDomainMigrate3)');
  }
  if (options.tunnelled && copies) {
    p.push('copy-storage is not supported with tunnelled migration and this QEMU (NBD cannot be tunnelled)');
  }
  if (options.migrateDisks !== undefined) {
    if (!copies) p.push('migrateDisks needs copyStorageAll or copyStorageInc');
    const unknown = options.migrateDisks.filter((t) => !diskTargets.includes(t));
    if (unknown.length)
      p.push(
        `migrateDisks names no disk of the domain: ${unknown.join(', ')} (disks: ${diskTargets.join(', ') || 'none'})`,
      );
    if (options.migrateDisks.length === 0) p.push('migrateDisks is empty: name the disks to copy or leave it out');
  }
  if (options.bandwidth !== undefined && !(options.bandwidth > 0))
    p.push('bandwidth must be a positive number of MiB/s');
  if (
    options.parallelConnections !== undefined &&
    !(Number.isInteger(options.parallelConnections) && options.parallelConnections > 0)
  ) {
    p.push('parallelConnections must be a positive whole number');
  }
  return p;
}

export const migrationFlags: CheckDefinition = {
  name: 'migration.flags',
  severity: 'critical',
  description:
    'The migration options do not contradict each other (post-copy needs live, offline needs persistent and no copy-storage, migrateDisks must name disks …) as libvirt requires.',
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcBeginPhase; libvirt-domain.c virDomainMigrate3 flag checks',
  remedy: 'Change the options as the message says; each contradiction is one libvirt refuses before migrating.',
  async run({ facts, options }) {
    const model = await domainModel(facts);
    // The --xml ABI rules compare with the guest's migratable XML (the one libvirt compares with).
    const xml = options.destXml === undefined ? undefined : await facts.domain.migratableXml();
    const problems = flagProblems(
      options,
      model.disks.map((d) => d.target),
      { uuid: facts.domain.domain.uuid, ...(xml === undefined ? {} : { xml }) },
    );
    if (problems.length) return fail(`contradicting options: ${problems.join('; ')}`);
    return pass('the migration options are consistent');
  },
};

export const migrationRawOptions: CheckDefinition = {
  name: 'migration.raw-options',
  severity: 'warning',
  description:
    'Every raw flag bit and typed parameter (rawMigrateFlags, rawMigrateParams) is one pmc knows, so that the checks reasoned about it.',
  anchor: 'libvirt-pmc escape hatch (libvirt-domain.h VIR_MIGRATE_*, VIR_MIGRATE_PARAM_*)',
  remedy:
    'Use the named option if there is one; otherwise make sure by hand that the destination and libvirt accept it.',
  async run({ options }) {
    const { rawMigrateFlags = 0, rawMigrateParams = {} } = options as Readonly<RunOptions>;
    const raw = decodeRawMigration(rawMigrateFlags, rawMigrateParams, constants);
    const unknown: string[] = [];
    if (raw.unknownFlags !== 0) unknown.push(`flag bits 0x${raw.unknownFlags.toString(16)}`);
    if (raw.passParams.length) unknown.push(`parameters ${raw.passParams.map((p) => p[0]).join(', ')}`);
    if (unknown.length) return fail(`passed to libvirt unchecked: ${unknown.join('; ')}`);
    return pass('no raw flag or parameter unknown to pmc');
  },
};

/** What the forecast needs; every rate in bytes/s. */
export interface ConvergenceInput {
  memoryBytes: number;
  dirtyBytesPerS: number;
  bandwidthBytesPerS: number;
  maxDowntimeMs: number;
  timeoutS: number;
}

export interface ConvergenceForecast {
  converges: boolean;
  /** Pre-copy rounds before the remaining dirty memory fits the downtime (Infinity when it never does). */
  rounds: number;
  /** Seconds of pre-copy until the switch-over. */
  seconds: number;
  /** Expected downtime at the switch-over, in ms. */
  downtimeMs: number;
  /** Dirty rate / bandwidth. */
  ratio: number;
  reason: string;
}

/** Pre-copy never goes on for more rounds than this in the forecast (QEMU itself has no cap). */
const MAX_ROUNDS = 1000;

/**
 * The pre-copy model of docs/convergence.md. Round 0 sends all memory M at
 * bandwidth B; round k+1 resends what the guest dirtied during round k,
 * min(M, D * t_k). The switch-over happens once a round's data fits the
 * allowed downtime (B * downtime). With r = D / B >= 1 the rounds never
 * shrink; otherwise round k carries M * r^k.
 */
export function forecastConvergence(input: ConvergenceInput): ConvergenceForecast {
  const { memoryBytes: m, dirtyBytesPerS: d, bandwidthBytesPerS: b, maxDowntimeMs, timeoutS } = input;
  const ratio = d / b;
  const fitsDowntime = (b * maxDowntimeMs) / 1000;
  let remaining = m;
  let seconds = 0;
  let rounds = 0;
  while (remaining > fitsDowntime && rounds < MAX_ROUNDS) {
    const t = remaining / b;
    seconds += t;
    rounds += 1;
    const next = Math.min(m, d * t);
    if (next >= remaining && rounds > 1) {
      return {
        converges: false,
        rounds: Infinity,
        seconds: Infinity,
        downtimeMs: (remaining / b) * 1000,
        ratio,
        reason: `the guest dirties memory at ${(ratio * 100).toFixed(0)}% of the bandwidth: each round resends as much as the last`,
      };
    }
    remaining = next;
    if (seconds > timeoutS) {
      return {
        converges: false,
        rounds,
        seconds,
        downtimeMs: (remaining / b) * 1000,
        ratio,
        reason: `after ${rounds} rounds (${seconds.toFixed(0)} s) ${(remaining / 2 ** 20).toFixed(0)} MiB are still dirty, past the ${timeoutS} s timeout`,
      };
    }
  }
  const converges = remaining <= fitsDowntime;
  return {
    converges,
    rounds,
    seconds,
    downtimeMs: (remaining / b) * 1000,
    ratio,
    reason: converges
      ? 'the dirty set shrinks below the downtime budget'
      : `no switch-over within ${MAX_ROUNDS} rounds`,
  };
}

export const DEFAULT_MAX_DOWNTIME_MS = 300;
export const DEFAULT_CONVERGENCE_TIMEOUT_S = 600;
/** Seconds of dirty-rate measurement (virDomainStartDirtyRateCalc's minimum is 1). */
export const DIRTY_RATE_WINDOW_S = 1;
/**
 * QEMU's page sampling (migration/dirtyrate.c, the mode libvirt asks for by
 * default): 512 random 4 KiB pages per GiB of each RAM block are hashed at the
 * start and end of the window, and RAM blocks under 128 MiB are not sampled at
 * all. So one changed sample stands for 2 MiB of RAM.
 */
const SAMPLED_MIB_PER_PAGE = 1024 / 512;
const MIN_SAMPLED_BLOCK_MIB = 128;

/** The dirty rates, MiB/s, that the sampled measurement cannot tell from the one it read. */
export interface DirtyRateRange {
  low: number;
  high: number;
}

/**
 * The range (about 95 %) of true dirty rates behind a sampled measurement of
 * `measuredMiB` MiB/s over `windowS` s of a guest with `memoryMiB` of RAM. The
 * count of changed samples k = measured * window / 2 MiB is binomial, near
 * Poisson: k ± 2√k, and up to 3 when none changed. A guest under 128 MiB is
 * not sampled: it reads 0 whatever it dirties.
 */
export function dirtyRateRange(measuredMiB: number, windowS: number, memoryMiB: number): DirtyRateRange {
  if (memoryMiB < MIN_SAMPLED_BLOCK_MIB) return { low: 0, high: Infinity };
  const k = (measuredMiB * windowS) / SAMPLED_MIB_PER_PAGE;
  const perSample = SAMPLED_MIB_PER_PAGE / windowS;
  return {
    low: Math.max(0, k - 2 * Math.sqrt(k)) * perSample,
    high: (k + 2 * Math.sqrt(k + 1) + 1) * perSample,
  };
}

function dirtyMiBPerS(stats: Record<string, number | string | boolean>): number {
  const dirtyMiB = Number(stats['dirtyrate.megabytes_per_second'] ?? NaN);
  if (!Number.isFinite(dirtyMiB))
    throw new PmcError('libvirt returned no dirtyrate.megabytes_per_second', 'ERR_PMC_LIBVIRT_ANSWER');
  return dirtyMiB;
}

export const migrationConvergence: CheckDefinition = {
  name: 'migration.convergence',
  severity: 'warning',
  description:
    "The guest's measured dirty-page rate lets pre-copy converge within the timeout at the bandwidth limit (libvirt-pmc's own forecast; nobody else checks this before migrating).",
  anchor: 'libvirt-pmc docs/convergence.md; libvirt virDomainStartDirtyRateCalc + dirtyrate stats',
  remedy:
    'Raise the bandwidth limit, allow a longer downtime, or migrate with postcopy or autoConverge; or migrate when the guest is quieter.',
  offline: 'no memory is copied (libvirt leaves out the Perform phase)',
  // ctx.signal is read only for a measurement: reading it costs a timer and a listener (src/pmc/js-dispatch.ts).
  async run(ctx) {
    const { facts, options } = ctx;
    const { state } = await facts.domain.state();
    if (!ACTIVE_STATES.has(state)) {
      return skip(`the domain is ${state}: it has no memory to copy (domain.state says whether it can migrate)`);
    }
    // A paused guest, or one a non-live migration pauses first, dirties nothing: pre-copy is one round.
    const stillGuest = !options.live || state === 'paused' || state === 'pmsuspended';
    const bandwidthMiB = options.bandwidth ?? options.linkSpeed;
    if (!bandwidthMiB) {
      return notVerifiableBeforePerform(
        'only while data flows',
        'how long pre-copy takes: no bandwidth limit and no linkSpeed given, so the forecast has no bandwidth to work with',
      );
    }
    const [model, dirtyMiB] = await Promise.all([
      domainModel(facts),
      stillGuest ? 0 : facts.domain.dirtyRate(DIRTY_RATE_WINDOW_S, ctx.signal).then(dirtyMiBPerS),
    ]);
    const memoryMiB = model.currentMemoryKiB / 1024;
    const input: ConvergenceInput = {
      memoryBytes: model.currentMemoryKiB * 1024,
      dirtyBytesPerS: dirtyMiB * 2 ** 20,
      bandwidthBytesPerS: bandwidthMiB * 2 ** 20,
      maxDowntimeMs: options.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS,
      timeoutS: options.convergenceTimeoutS ?? DEFAULT_CONVERGENCE_TIMEOUT_S,
    };
    // A still guest dirties nothing; a running one is sampled, so decide only where the whole range agrees.
    const range = stillGuest ? { low: 0, high: 0 } : dirtyRateRange(dirtyMiB, DIRTY_RATE_WINDOW_S, memoryMiB);
    const at = (miB: number) => forecastConvergence({ ...input, dirtyBytesPerS: miB * 2 ** 20 });
    const f = forecastConvergence(input);
    const [low, high] = [at(range.low), at(range.high)];
    const details = {
      ...input,
      dirtyMiBPerS: dirtyMiB,
      dirtyMiBPerSRange: range,
      bandwidthMiBPerS: bandwidthMiB,
      forecast: f,
    };
    const where = `${stillGuest ? `a ${options.live ? state : 'paused (non-live)'} guest: ` : ''}dirty rate ${dirtyMiB} MiB/s against ${bandwidthMiB} MiB/s${options.bandwidth ? '' : ' (linkSpeed)'}`;
    if (high.converges) {
      const spread =
        high.seconds > f.seconds + 0.05
          ? ` (up to ~${high.seconds.toFixed(1)} s at ${range.high.toFixed(0)} MiB/s)`
          : '';
      return pass(
        `${where}: pre-copy converges in ${f.rounds} rounds, ~${f.seconds.toFixed(1)} s${spread}, expected downtime ~${f.downtimeMs.toFixed(0)} ms`,
        details,
      );
    }
    if (low.converges) {
      return notVerifiableBeforePerform(
        'only while data flows',
        `whether pre-copy converges: the sampled dirty rate (${dirtyMiB} MiB/s over ${DIRTY_RATE_WINDOW_S} s` +
          `${memoryMiB < MIN_SAMPLED_BLOCK_MIB ? `; QEMU does not sample guests under ${MIN_SAMPLED_BLOCK_MIB} MiB` : ''}) ` +
          `may be anything from ${range.low.toFixed(0)} to ${range.high.toFixed(0)} MiB/s: at the low end it converges in ~${low.seconds.toFixed(1)} s ` +
          `against ${bandwidthMiB} MiB/s, at the high end not (${high.reason})`,
        details,
      );
    }
    const rescue = options.postcopy
      ? ' post-copy is on, so it will still finish after switching to post-copy'
      : options.autoConverge
        ? ' auto-converge is on and will throttle the guest to get there'
        : ' raise the bandwidth, allow more downtime, or use postcopy/autoConverge';
    // Named after the point estimate when that fails too (it does unless the range starts at 0 and the point converges).
    const g = f.converges ? low : f;
    return fail(
      `${where}: pre-copy will not converge (${g.reason}; expected downtime ~${g.downtimeMs.toFixed(0)} ms against ` +
        `${input.maxDowntimeMs} ms allowed);${rescue}`,
      details,
    );
  },
};
