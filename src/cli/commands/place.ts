/**
 * `pmc place [options] <domain> <desturi...>`: where can this guest go? The
 * checks of the migration against every candidate at once, ranked
 * (docs/fleet.md); nothing moves.
 */
import type { Command } from 'commander';
import type { Connection } from '../../binding/connection.js';
import { placeDomain } from '../../fleet/place.js';
import type { Placement } from '../../fleet/types.js';
import { ExitCode } from '../exit-codes.js';
import { loadExternalChecks } from '../external-checks.js';
import { checkCandidateUris, describeOption, hideOptions, refuseOptions } from '../fleet-options.js';
import { MIGRATE_ACTIONS, PER_DESTINATION } from '../../fleet/options.js';
import { onInterrupt } from '../interrupt.js';
import { addMigrationOptions, toRunOptions, type MigrationCliOptions } from '../migration-options.js';
import { lookupDomain, openConnection } from '../migration-run.js';
import { checkLine, hostLabel } from '../report-view.js';
import { printable, styleFor, type Style } from '../style.js';

/** 0 when some candidate allows the guest, 2 when none does. */
export function placementExitCode(placement: Placement): ExitCode {
  return placement.best === null ? ExitCode.blocked : ExitCode.ok;
}

/** One block per candidate in rank order: verdict, score, and the checks that did not pass. */
export function renderPlacement(placement: Placement, style: Style): string {
  const lines = [
    style.bold(
      `Domain ${printable(placement.domain)}: ${placement.candidates.length} ` +
        `candidate${placement.candidates.length === 1 ? '' : 's'}, best first`,
    ),
  ];
  placement.candidates.forEach((c, i) => {
    const paint = c.verdict === 'allowed' ? style.green : c.verdict === 'blocked' ? style.red : style.yellow;
    lines.push('', `${i + 1}. ${hostLabel(c)}: ${paint(c.verdict)}, score ${c.score}`);
    for (const check of c.checks)
      if (check.status === 'fail' || check.status === 'error') lines.push(checkLine(check, style, { indent: '   ' }));
  });
  lines.push(
    '',
    placement.best === null
      ? style.red('Best: none (every candidate is blocked)')
      : style.green(`Best: ${printable(placement.best)}`),
  );
  return `${lines.join('\n')}\n`;
}

export function registerPlace(program: Command): void {
  const command = program
    .command('place')
    .summary('which of these hosts can take the guest: every candidate checked at once, ranked')
    .description(
      'Run the pre-migration checks of migrating <domain> from the source (-c) to every ' +
        '<desturi> at once (each host asked once), and rank the candidates: allowed, then ' +
        'allowed with warnings, then blocked, by score within each (memory and vCPU headroom, ' +
        'same CPU model, convergence forecast: docs/fleet.md). Nothing is migrated. It takes ' +
        'the options of pmc migrate, because the verdicts depend on them, except --timeout, and ' +
        "those naming one destination's addresses (--migrateuri, …) when there are several " +
        'candidates. Candidates are named by their URIs as given.\n' +
        'Exit codes: 0 some candidate allows it, 2 none does, 1 other error, 130 interrupted.',
    )
    .usage('[options] <domain> <desturi...>')
    .argument('<domain>', 'domain name, UUID or ID on the source')
    .argument('<desturi...>', 'candidate destination connection URIs (each once, not the source)');
  addMigrationOptions(command).addHelpText(
    'after',
    `
Examples:
  pmc -c qemu:///system place --live vm1 qemu+ssh://host2/system qemu+ssh://host3/system
  pmc -c qemu:///system place --live --link-speed 1024 --json vm1 qemu+ssh://host2/system qemu+ssh://host3/system`,
  );
  // place migrates nothing: no progress, no --timeout.
  hideOptions(command, MIGRATE_ACTIONS);
  command.options.find((o) => o.long === '--verbose')?.hideHelp();
  describeOption(command, '--strict', 'failing warnings block too: best is only a candidate where every check passes');
  describeOption(command, '--json', 'print the placement as JSON (docs/place.schema.json)');

  command.action(async (domainName: string, desturis: string[], opts: MigrationCliOptions, cmd: Command) => {
    const sourceUri = cmd.optsWithGlobals<{ connect?: string }>().connect ?? null;
    refuseOptions(opts, MIGRATE_ACTIONS, (flag) => `${flag} acts on a running migration: place migrates nothing`);
    if (desturis.length > 1)
      refuseOptions(
        opts,
        PER_DESTINATION,
        (flag) => `${flag} names one destination's particulars: give it to pmc check, one candidate at a time`,
      );
    checkCandidateUris(sourceUri, desturis);
    const run = { ...toRunOptions(opts, { withChecks: true }), ...(await loadExternalChecks(opts)) };
    const interrupt = onInterrupt('stopping the checks');
    const opened: Connection[] = [];
    try {
      const source = await openConnection(sourceUri, 'source');
      opened.push(source);
      const domain = await lookupDomain(source, domainName);
      // All at once; every one that opened is closed, also when another failed.
      const settled = await Promise.allSettled(desturis.map((uri) => openConnection(uri, 'candidate')));
      for (const s of settled) if (s.status === 'fulfilled') opened.push(s.value);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      // Named as typed: the placement says the URIs its user wrote.
      const candidates = opened.slice(1).map((connection, i) => ({ connection, uri: desturis[i]! }));
      const placement = await placeDomain(domain, candidates, { ...run, signal: interrupt.signal });
      if (opts.json === true) process.stdout.write(`${JSON.stringify(placement, null, 2)}\n`);
      else process.stdout.write(renderPlacement(placement, styleFor(process.stdout, opts.color)));
      process.exitCode = interrupt.signal.aborted ? ExitCode.interrupted : placementExitCode(placement);
    } finally {
      interrupt.dispose();
      await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
    }
  });
}
