/** `pmc checks [--json]`: every available check, with severity, description, origin and anchor. */
import type { Command } from 'commander';
import { builtinChecks } from '../../checks/index.js';
import { styleFor } from '../style.js';

export interface CheckListing {
  name: string;
  severity: string;
  description: string;
  origin: 'builtin';
  anchor: string | null;
  remedy: string | null;
}

export function listChecks(): CheckListing[] {
  return builtinChecks.map((c) => ({
    name: c.name,
    severity: c.severity,
    description: c.description,
    origin: 'builtin' as const,
    anchor: c.anchor ?? null,
    remedy: c.remedy ?? null,
  }));
}

export function registerChecks(program: Command): void {
  program
    .command('checks')
    .summary('list the available pre-migration checks')
    .description('List every available check: name, severity, origin, description and the anchor it follows.')
    .option('--json', 'print the list as JSON')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addHelpText(
      'after',
      `
Examples:
  pmc checks
  pmc checks --json | jq -r '.[] | select(.severity == "critical") | .name'`,
    )
    .action((opts: { json?: boolean; color?: boolean }) => {
      const checks = listChecks();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
        return;
      }
      if (checks.length === 0) {
        process.stdout.write('No checks available.\n');
        return;
      }
      const style = styleFor(process.stdout, opts.color);
      const nameWidth = Math.max(...checks.map((c) => c.name.length));
      const lines = checks.map((c) => {
        const head = `${style.bold(c.name.padEnd(nameWidth))}  ${c.severity.padEnd(8)}  ${c.origin.padEnd(7)}  ${c.description}`;
        const indent = ' '.repeat(nameWidth + 2 + 8 + 2 + 7 + 2);
        return c.anchor ? `${head}\n${indent}${style.dim(`anchor: ${c.anchor}`)}` : head;
      });
      process.stdout.write(`${lines.join('\n')}\n${checks.length} checks.\n`);
    });
}
