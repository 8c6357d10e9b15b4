/**
 * Migration progress on stderr: a cli-progress bar on a terminal (one per
 * running migration for an evacuation); without one, `--verbose` prints
 * virsh's `Migration: [ 42 %]` lines (one per change).
 */
import cliProgress from 'cli-progress';
import type { EvacuationProgress } from '../fleet/evacuate.js';
import type { MigrationProgress } from '../pmc/types.js';
import { formatBytes, formatDuration, printable } from './style.js';

export interface ProgressView {
  update(progress: MigrationProgress): void;
  /** The migration ended: `succeeded` completes the bar at 100 %. */
  finish(succeeded: boolean): void;
}

/** virsh's percentage: how much of the data is no longer remaining. */
export function percentDone(p: MigrationProgress): number {
  if (p.dataTotal <= 0) return 0;
  const done = 100 - Math.floor((p.dataRemaining * 100) / p.dataTotal);
  return Math.min(100, Math.max(0, done));
}

/** The line virsh prints with --verbose. */
export function virshProgressLine(percent: number): string {
  return `Migration: [${String(percent).padStart(3)} %]`;
}

class TerminalBar implements ProgressView {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          'Migration |{bar}| {percentage}% | {processed}/{total_h} processed | {speed} | {remaining} remaining | ETA {eta_h} | iteration {iteration}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        // libvirt's own figures drive the ETA; cli-progress's would lag a poll behind.
        etaBuffer: 1,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(p: MigrationProgress): void {
    const payload = {
      processed: formatBytes(p.dataProcessed),
      total_h: formatBytes(p.dataTotal),
      speed: `${formatBytes(p.memBps)}/s`,
      remaining: formatBytes(p.dataRemaining),
      eta_h: p.memBps > 0 ? formatDuration((p.dataRemaining / p.memBps) * 1000) : '?',
      iteration: p.iteration,
    };
    // The bar's value is the percentage, so a total that grows (dirtied pages) never moves it backwards oddly.
    const value = percentDone(p);
    if (!this.started) {
      this.bar.start(100, value, payload);
      this.started = true;
    } else {
      this.bar.update(value, payload);
    }
  }

  finish(succeeded: boolean): void {
    if (!this.started) return;
    if (succeeded) this.bar.update(100, { remaining: formatBytes(0), eta_h: '0 ms' });
    this.bar.stop();
  }
}

class VerboseLines implements ProgressView {
  private last = -1;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(p: MigrationProgress): void {
    const percent = percentDone(p);
    if (percent === this.last) return;
    this.last = percent;
    this.stream.write(`${virshProgressLine(percent)}\n`);
  }

  finish(succeeded: boolean): void {
    if (succeeded && this.last !== 100) this.stream.write(`${virshProgressLine(100)}\n`);
  }
}

/** A bar on a terminal; plain lines with --verbose elsewhere; nothing otherwise. */
export function createProgressView(stream: NodeJS.WriteStream, verbose: boolean): ProgressView | undefined {
  if (stream.isTTY) return new TerminalBar(stream);
  if (verbose) return new VerboseLines(stream);
  return undefined;
}

/** One bar per running migration on a terminal; `--verbose` lines elsewhere; nothing otherwise. */
export function evacuationProgressView(
  stream: NodeJS.WriteStream,
  verbose: boolean,
): ((p: EvacuationProgress) => void) & { stop(): void } {
  if (stream.isTTY) {
    const multi = new cliProgress.MultiBar(
      {
        stream,
        format: '{domain} |{bar}| {percentage}% | {processed} | {speed} | → {destination}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 1,
      },
      cliProgress.Presets.shades_classic,
    );
    const bars = new Map<string, cliProgress.SingleBar>();
    const show = (p: EvacuationProgress) => {
      if (p.event === 'started') {
        bars.get(p.domain)?.stop();
        bars.set(
          p.domain,
          multi.create(100, 0, {
            domain: printable(p.domain),
            destination: printable(p.destination),
            processed: '0 B',
            speed: '',
          }),
        );
      } else if (p.event === 'progress') {
        bars.get(p.domain)?.update(percentDone(p.progress), {
          processed: formatBytes(p.progress.dataProcessed),
          speed: `${formatBytes(p.progress.memBps)}/s`,
        });
      } else {
        const bar = bars.get(p.domain);
        if (bar && p.guest.migration.succeeded) bar.update(100);
        bar?.stop();
      }
    };
    let stopped = false;
    const stop = () => {
      if (!stopped) multi.stop();
      stopped = true;
    };
    return Object.assign(show, { stop });
  }
  const last = new Map<string, number>();
  const line = (p: EvacuationProgress) => {
    if (!verbose) return;
    if (p.event === 'started') {
      stream.write(`${printable(p.domain)}: migrating to ${printable(p.destination)}\n`);
    } else if (p.event === 'progress') {
      const percent = percentDone(p.progress);
      if (last.get(p.domain) === percent) return;
      last.set(p.domain, percent);
      stream.write(`${printable(p.domain)}: ${virshProgressLine(percent)}\n`);
    } else {
      stream.write(`${printable(p.domain)}: ${printable(p.guest.reason)}\n`);
    }
  };
  return Object.assign(line, { stop: () => undefined });
}
