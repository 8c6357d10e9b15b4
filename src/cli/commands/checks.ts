/**
 * `pmc checks [--checks-file F]… [--plugin P]… [--json]`: every available
 * check, with severity, description, origin and anchor (for check files and
 * plugins: the file).
 */
import type { Command } from 'commander';
import type { CheckListing } from '../../pmc/listing.js';
import { builtinListing } from '../builtin-listing.js';
import { addExternalCheckOptions, loadExternalChecks, type ExternalCheckCliOptions } from '../external-checks.js';
import { printable, styleFor } from '../style.js';

/** A listing as `--json` prints it: every field present, null when the check has none. */
function jsonRow(c: CheckListing) {
  return {
    name: c.name,
    severity: c.severity,
    description: c.description,
    origin: c.origin,
    anchor: c.anchor ?? null,
    remedy: c.remedy ?? null,
    ...(c.line !== undefined ? { line: c.line } : {}),
  };
}

/**
 * What `pmc checks` lists. The built-ins alone come from their generated
 * listing: importing their definitions (and all they import) was most of the
 * command's start-up. With check files or plugins, the real listChecks, which
 * also rejects duplicate names as a run would.
 */
async function listingFor(opts: ExternalCheckCliOptions): Promise<readonly CheckListing[]> {
  if (!opts.checksFile?.length && !opts.plugin?.length) return builtinListing;
  const [{ listChecks }, external] = await Promise.all([import('../../list-checks.js'), loadExternalChecks(opts)]);
  return listChecks(external);
}

export function registerChecks(program: Command): void {
  const command = program
    .command('checks')
    .summary('list the available pre-migration checks')
    .description('List every available check: name, severity, origin, description and the anchor it follows.')
    .option('--json', 'print the list as JSON')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)');
  addExternalCheckOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  pmc checks
  pmc checks --json | jq -r '.[] | select(.severity == "critical") | .name'
  pmc checks --checks-file examples/checks/site-rules.xml --plugin ./build/libsite.so`,
    )
    .action(async (opts: { json?: boolean; color?: boolean } & ExternalCheckCliOptions) => {
      const checks = await listingFor(opts);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(checks.map(jsonRow), null, 2)}\n`);
        return;
      }
      if (checks.length === 0) {
        process.stdout.write('No checks available.\n');
        return;
      }
      const style = styleFor(process.stdout, opts.color);
      const nameWidth = Math.max(...checks.map((c) => c.name.length));
      const originWidth = Math.max(7, ...checks.map((c) => c.origin.length));
      const lines = checks.map((c) => {
        // Descriptions and anchors of check files and plugins are outside text: escaped.
        const head = `${style.bold(c.name.padEnd(nameWidth))}  ${c.severity.padEnd(8)}  ${printable(c.origin).padEnd(originWidth)}  ${printable(c.description)}`;
        const indent = ' '.repeat(nameWidth + 2 + 8 + 2 + originWidth + 2);
        return c.anchor
          ? `${head}\n${indent}${style.dim(`anchor: ${printable(c.anchor)}${c.line !== undefined ? `:${c.line}` : ''}`)}`
          : head;
      });
      process.stdout.write(`${lines.join('\n')}\n${checks.length} checks.\n`);
    });
}
