/** `pmc check [options] <domain> <desturi>`: the dry run — the same checks and report as migrate --pmc, nothing moves. */
import type { Command } from 'commander';
import { onInterrupt } from '../interrupt.js';
import { loadExternalChecks } from '../external-checks.js';
import { runMigration } from '../migration-run.js';
import {
  addMigrationArguments,
  addMigrationOptions,
  resolveMigrationArguments,
  toRunOptions,
  type MigrationCliOptions,
} from '../migration-options.js';

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

  command.action(async (domainArg: string | undefined, desturiArg: string | undefined, migrateuriArg: string | undefined, opts: MigrationCliOptions, cmd: Command) => {
    const { domain, desturi, migrateuri } = resolveMigrationArguments([domainArg, desturiArg, migrateuriArg], opts);
    // Check files and plugins are loaded (and validated) before any connection.
    const run = { ...toRunOptions(opts, migrateuri, true), ...(await loadExternalChecks(opts)) };
    const interrupt = onInterrupt('stopping the checks');
    try {
      const { exitCode } = await runMigration({
        mode: 'check',
        domain,
        sourceUri: cmd.optsWithGlobals<{ connect?: string }>().connect ?? null,
        destUri: desturi,
        run,
        withChecks: true,
        json: opts.json === true,
        color: opts.color,
        verbose: opts.verbose === true,
        signal: interrupt.signal,
      });
      process.exitCode = exitCode;
    } finally {
      interrupt.dispose();
    }
  });
}
