#!/usr/bin/env node
/**
 * The `pmc` command: a thin registry of subcommands, one file each in
 * ./commands/. Global options come before the subcommand, as in virsh
 * (`pmc -c qemu:///system migrate …`).
 */
import { Command } from 'commander';
import { registerCheck } from './commands/check.js';
import { registerChecks } from './commands/checks.js';
import { registerDemo } from './commands/demo.js';
import { labCommand } from './commands/lab.js';
import { registerMigrate } from './commands/migrate.js';
import { debugOption, reportFatal } from './errors.js';

const program = new Command('pmc')
  .description('Pre-migration checks for libvirt: virsh migrate --pmc as a command of its own')
  .option('-c, --connect <uri>', 'source hypervisor connection URI (default: LIBVIRT_DEFAULT_URI, else libvirt\'s default)')
  .addOption(debugOption())
  .enablePositionalOptions()
  // Every error line starts the same way, whoever detects it (commander or us).
  .configureOutput({ outputError: (text, write) => write(`pmc: ${text}`) })
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

// `pmc checks | head`: a reader that goes away is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

registerMigrate(program);
registerCheck(program);
registerChecks(program);
registerDemo(program);
program.addCommand(labCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFatal(error);
}
// The addon's event-loop thread keeps the process alive: leave once the command is done.
process.exit(process.exitCode ?? 0);
