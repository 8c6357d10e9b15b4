#!/usr/bin/env node
/**
 * The `pmc` command: a thin registry of subcommands, one file each in
 * ./commands/. Global options come before the subcommand, as in virsh
 * (`pmc -c qemu:///system migrate …`).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { commanderError, debugOption, reportFatal } from './errors.js';

/**
 * Each subcommand's module, imported only when it is the one run (or for
 * help, an unknown command, no command): `pmc --version` loads none, `pmc
 * checks` only its own. In help order.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  migrate: async () => (await import('./commands/migrate.js')).registerMigrate,
  check: async () => (await import('./commands/check.js')).registerCheck,
  place: async () => (await import('./commands/place.js')).registerPlace,
  evacuate: async () => (await import('./commands/evacuate.js')).registerEvacuate,
  checks: async () => (await import('./commands/checks.js')).registerChecks,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  hook: async () => {
    const { hookCommand } = await import('./commands/hook.js');
    return (program) => program.addCommand(hookCommand());
  },
  lab: async () => {
    const { labCommand } = await import('./commands/lab.js');
    return (program) => program.addCommand(labCommand());
  },
};

/**
 * The subcommands to register for `argv`: the one named (global options come
 * first, `-c` takes a value); none for a bare `--version`; all otherwise, so
 * that help lists every command and a mistyped one gets its suggestion.
 */
export function commandsFor(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '--connect') i++;
    else if (!arg.startsWith('-')) return Object.hasOwn(COMMANDS, arg) ? [arg] : Object.keys(COMMANDS);
  }
  return args.some((a) => a === '-V' || a === '--version') ? [] : Object.keys(COMMANDS);
}

/** The package's own version: read from its package.json, so it cannot drift. */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('pmc')
  .version(version, '-V, --version', 'print the version of pmc and exit')
  .description('Pre-migration checks for libvirt: virsh migrate --pmc as a command of its own')
  .option(
    '-c, --connect <uri>',
    "source hypervisor connection URI (default: LIBVIRT_DEFAULT_URI, else libvirt's default)",
  )
  .addOption(debugOption())
  .enablePositionalOptions()
  .showSuggestionAfterError(true)
  .addHelpText(
    'after',
    `
Examples:
  pmc -c qemu:///system check vm1 qemu+ssh://host2/system
  pmc -c qemu:///system migrate --pmc --live --verbose vm1 qemu+ssh://host2/system
  pmc checks --json
  pmc demo`,
  );

// `pmc checks | head`: a reader that goes away is not an error worth a stack
// trace, nor a reason to stop: the command finishes (a migration is not cut
// short, the demo still takes its lab down) and what it would print is dropped.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.stdout.write = (...args: unknown[]) => {
    const done = args.find((a): a is () => void => typeof a === 'function');
    done?.();
    return true;
  };
});

/** Resolves once every earlier write to `stream` was handed to the OS (or the stream failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

for (const register of await Promise.all(commandsFor(process.argv).map((name) => COMMANDS[name]!()))) {
  register(program);
}

// Every error is one line that starts the same way, whoever detects it
// (commander or us), on every command (pmc lab is built apart and inherits nothing).
function configureErrors(command: Command): void {
  command.configureOutput({ outputError: commanderError });
  command.commands.forEach(configureErrors);
}
configureErrors(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFatal(error);
}
// The addon's event-loop thread keeps the process alive: leave once the command
// is done, but only after what was written has reached the pipe: process.exit
// drops pending writes (a report to a slow reader would end after 64 KiB).
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(process.exitCode ?? 0);
