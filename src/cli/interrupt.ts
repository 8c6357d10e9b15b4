/**
 * Ctrl-C: the first one aborts the run through its AbortSignal (checks stop;
 * a migration job is aborted natively and libvirt's answer is awaited), a
 * second one quits at once.
 */
import { ExitCode } from './exit-codes.js';

export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export function onInterrupt(notice: string): Interrupt {
  const controller = new AbortController();
  const handler = () => {
    if (!controller.signal.aborted) {
      process.stderr.write(`\npmc: interrupted: ${notice} (Ctrl-C again to quit without waiting)\n`);
      controller.abort(new Error('interrupted (SIGINT)'));
      return;
    }
    process.stderr.write('pmc: interrupted again: quitting without waiting; check where the guest runs (virsh list)\n');
    process.exit(ExitCode.interrupted);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
