/**
 * The composing module: binds the framework (src/pmc/) to the built-in
 * checks (src/checks/) and attaches the pre-migration-check methods to the
 * binding's Domain, from one place (as better-sqlite3 attaches its methods
 * from lib/methods/); the only module that binds the built-ins into a run
 * (fleet work runs `checkWithSharedFacts`). The binding never imports the
 * framework; declaration merging gives `domain.checkPMC(...)` its types
 * wherever this module is loaded, which the package entry point does.
 */
import type { Connection } from './binding/connection.js';
import { Domain } from './binding/domain.js';
import { builtinChecks } from './checks/index.js';
import type { SharedFacts } from './pmc/facts.js';
import type { RunOptions } from './pmc/run-options.js';
import { runPMC } from './pmc/run.js';
import type { Report } from './pmc/types.js';

declare module './binding/domain.js' {
  interface Domain {
    /**
     * The RFC's virDomainMigratePMC: runs the pre-migration checks (built-ins and
     * `options.checks`) on a native thread, then migrates only when the verdict
     * allows. Resolves with the report (a blocked or failed migration is in the
     * report, not a rejection); `migratedDomain` is the domain on `dest`.
     */
    migratePMC(dest: Connection, options?: RunOptions): Promise<Report & { migratedDomain?: Domain }>;
    /** The same checks and report as migratePMC, without the migration: a dry run. */
    checkPMC(dest: Connection, options?: RunOptions): Promise<Report>;
  }
}

Domain.prototype.migratePMC = function migratePMC(this: Domain, dest: Connection, options: RunOptions = {}) {
  return runPMC(this, dest, options, { migrate: true, builtins: builtinChecks });
};

Domain.prototype.checkPMC = function checkPMC(this: Domain, dest: Connection, options: RunOptions = {}) {
  return runPMC(this, dest, options, { migrate: false, builtins: builtinChecks });
};

/**
 * `checkPMC` on facts shared by many runs (`SharedFacts`: each host's and
 * each guest's asked once): the checked dry run fleet work makes of every
 * guest against every candidate (src/fleet/place.ts), decided in JS when its
 * checks are all JS (src/pmc/js-runner.ts).
 */
export function checkWithSharedFacts(
  domain: Domain,
  dest: Connection,
  options: RunOptions,
  shared: SharedFacts,
): Promise<Report> {
  return runPMC(domain, dest, options, { migrate: false, builtins: builtinChecks, shared, decideInJs: true });
}

export { listChecks } from './list-checks.js';
