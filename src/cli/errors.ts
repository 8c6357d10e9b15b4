/** One clear line on stderr for every failure; the stack only with --debug. */
import { CommanderError } from 'commander';
import { LibvirtError } from '../errors.js';
import { ExitCode } from './exit-codes.js';
import { printable } from './style.js';

/** An error meant for the operator: its message is the whole story. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.error,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** --debug may sit anywhere on the command line, and errors can come before options are parsed. */
export function debugRequested(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--debug');
}

/** libvirt messages can span lines (e.g. a QEMU error); the operator gets one. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Prints the error the way virsh does (one line, `error:` prefix) and returns the exit code. */
export function reportFatal(error: unknown, debug = debugRequested()): number {
  if (error instanceof CommanderError) return error.exitCode; // commander already said it
  let message: string;
  let exitCode: number = ExitCode.error;
  if (error instanceof CliError) {
    message = error.message;
    exitCode = error.exitCode;
  } else if (error instanceof LibvirtError) {
    message = `${error.message} (${error.code})`;
  } else if (error instanceof Error) {
    message = error.message;
  } else {
    message = String(error);
  }
  process.stderr.write(`pmc: error: ${printable(oneLine(message))}\n`);
  if (debug) {
    let current: unknown = error;
    while (current instanceof Error) {
      process.stderr.write(`${current.stack ?? current.message}\n`);
      if (current instanceof LibvirtError) {
        process.stderr.write(`  libvirt: ${current.code} (${current.number}), ${current.domain}, level ${current.level}\n`);
      }
      current = current.cause;
      if (current) process.stderr.write('caused by: ');
    }
  }
  return exitCode;
}
