/**
 * The action of `pmc migrate` and `pmc check`: one flow, the mode aside.
 * Check files and plugins are loaded (and validated) before any connection;
 * Ctrl-C stops the run through its signal.
 */
import type { Command } from 'commander';
import { loadExternalChecks } from '../external-checks.js';
import { onInterrupt } from '../interrupt.js';
import { resolveMigrationArguments, toRunOptions, type MigrationCliOptions } from '../migration-options.js';
import { runMigration } from '../migration-run.js';

export function migrationAction(mode: 'migrate' | 'check', interruptMessage: string) {
  return async (
    domainArg: string | undefined,
    desturiArg: string | undefined,
    migrateuriArg: string | undefined,
    opts: MigrationCliOptions,
    cmd: Command,
  ) => {
    // virsh's named forms (--domain, --desturi) fill the positional slots.
    const { domain, desturi, migrateuri } = resolveMigrationArguments([domainArg, desturiArg, migrateuriArg], opts);
    // `check` always runs the checks; `migrate` only with --pmc.
    const withChecks = mode === 'check' || opts.pmc === true;
    const run = {
      ...toRunOptions(opts, { withChecks, migrateUriArg: migrateuri }),
      ...(await loadExternalChecks(opts)),
    };
    const interrupt = onInterrupt(interruptMessage);
    try {
      const { exitCode } = await runMigration({
        mode,
        domain,
        sourceUri: cmd.optsWithGlobals<{ connect?: string }>().connect ?? null,
        destUri: desturi,
        run,
        withChecks,
        json: opts.json === true,
        color: opts.color,
        verbose: opts.verbose === true,
        // virsh --timeout and the post-copy switches act on a migration job; a dry run has none.
        ...(mode === 'migrate'
          ? {
              timeoutS: opts.timeout,
              timeoutPostcopy: opts.timeoutPostcopy === true,
              postcopyAfterPrecopy: opts.postcopyAfterPrecopy === true,
            }
          : {}),
        signal: interrupt.signal,
      });
      process.exitCode = exitCode;
    } finally {
      interrupt.dispose();
    }
  };
}
