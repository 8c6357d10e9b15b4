/** `pmc check [options] <domain> <desturi>`: the dry run — the same checks and report as migrate --pmc, nothing moves. */
import type { Command } from 'commander';
import { addMigrationArguments, addMigrationOptions } from '../migration-options.js';
import { migrationAction } from './migration-action.js';

export function registerCheck(program: Command): void {
  const command = program
    .command('check')
    .summary('dry run: the pre-migration checks of a migration, without migrating')
    .description(
      'Run the pre-migration checks of migrating <domain> from the source (-c) to <desturi>,\n' +
        'and print the report; nothing is migrated. It takes every option of pmc migrate,\n' +
        'because the verdicts depend on them (e.g. --copy-storage-all, --bandwidth).\n' +
        'Exit codes: 0 allowed, 2 blocked, 1 other error, 130 interrupted.',
    )
    // Accepted so a `migrate --pmc …` line can become a `check …` line unchanged.
    .option('--pmc', 'accepted for symmetry with migrate; the checks always run');
  addMigrationOptions(addMigrationArguments(command, 'destination connection URI')).addHelpText(
    'after',
    `
Examples:
  pmc -c qemu:///system check --live vm1 qemu+ssh://host2/system
  pmc -c qemu:///system check --live --copy-storage-all --json vm1 qemu+ssh://host2/system
  pmc -c test:///default check test test:///default        # libvirt's test driver`,
  );

  command.action(migrationAction('check', 'stopping the checks'));
}
