/** One clear line on stderr for every failure; the stack only with --debug. */
import { CommanderError, Option } from 'commander';
import { CliError, LibvirtError } from '../errors.js';
import { ExitCode } from './exit-codes.js';
import { printable } from './style.js';

/** --debug: the one definition, global and on the commands that take it after their name. */
export function debugOption(): Option {
  return new Option('--debug', 'print stack traces of errors');
}

/** --debug may sit anywhere on the command line, and errors can come before options are parsed. */
export function debugRequested(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--debug');
}

/** With --json, errors are JSON on stdout too, so a script reading stdout learns why it is empty of a report. */
export function jsonRequested(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--json');
}

/** The JSON error of `--json` runs: `{version: 1, error: {code, message}}` on one line. */
function writeJsonError(code: string, message: string): void {
  process.stdout.write(`${JSON.stringify({ version: 1, error: { code, message } })}\n`);
}

/**
 * How commander's own errors (unknown options, bad values) are printed: the
 * one escaped line every pmc error is, its suggestion joined in, and with
 * --json the JSON error on stdout as well.
 */
export function commanderError(text: string, write: (s: string) => void): void {
  const line = oneLine(text).replace(/^error: /, '');
  write(`pmc: error: ${printable(line)}\n`);
  if (jsonRequested()) writeJsonError('ERR_PMC_USAGE', line);
}

/** libvirt messages can span lines (e.g. a QEMU error); the operator gets one. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Prints the error the way virsh does (one line, `error:` prefix) and returns the exit code. */
export function reportFatal(error: unknown, debug = debugRequested(), json = jsonRequested()): number {
  if (error instanceof CommanderError) return error.exitCode; // commander already said it (commanderError)
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
  if (json) {
    const code = (error as { code?: unknown } | null)?.code;
    writeJsonError(typeof code === 'string' ? code : 'ERR_PMC', oneLine(message));
  }
  if (debug) {
    let current: unknown = error;
    while (current instanceof Error) {
      process.stderr.write(`${current.stack ?? current.message}\n`);
      if (current instanceof LibvirtError) {
        process.stderr.write(
          `  libvirt: ${current.code} (${current.number}), ${current.domain}, level ${current.level}\n`,
        );
      }
      current = current.cause;
      if (current) process.stderr.write('caused by: ');
    }
  }
  return exitCode;
}
