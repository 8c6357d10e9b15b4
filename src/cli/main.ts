#!/usr/bin/env node
/** The `pmc` command. Each subcommand lives in its own file under commands/. */
import { Command } from 'commander';
import { labCommand } from './commands/lab.js';

const program = new Command('pmc')
  .description('Pre-migration checks for libvirt')
  .showHelpAfterError()
  .addCommand(labCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`pmc: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
