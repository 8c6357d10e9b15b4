/**
 * `pmc demo`: the lab up, a checked live migration host1→host2 with report and
 * progress, a migration a critical check blocks (nothing moves), lab-vm back,
 * the lab down — also on failure or Ctrl-C.
 */
import type { Command } from 'commander';
import { bringLabUp, type DemoLab } from '../demo-lab.js';
import { ExitCode } from '../exit-codes.js';
import { onInterrupt } from '../interrupt.js';
import { openConnection, runMigration, type MigrationRequest } from '../migration-run.js';
import { styleFor } from '../style.js';

interface DemoOptions {
  color?: boolean;
  json?: boolean;
}

/** Where a guest runs: asked of both hosts. */
async function whereRuns(lab: DemoLab, name: string): Promise<string[]> {
  const hosts: string[] = [];
  for (const [label, uri] of [
    ['host1', lab.host1Uri],
    ['host2', lab.host2Uri],
  ] as const) {
    const connection = await openConnection(uri, label);
    try {
      const domain = await connection.lookupDomainByName(name).catch(() => undefined);
      if (domain && (await domain.isActive())) hosts.push(label);
    } finally {
      await connection.close();
    }
  }
  return hosts;
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const style = styleFor(process.stdout, opts.color);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const step = (n: number, title: string) => say(`\n${style.bold(`== ${n}/5 ${title}`)}`);
  const interrupt = onInterrupt('stopping the demo; the lab comes down');
  let lab: DemoLab | undefined;
  try {
    step(1, 'Bringing the two-host lab up (two libvirt daemons, QEMU guests)');
    lab = await bringLabUp(say);
    say(`host1: ${lab.host1Uri}\nhost2: ${lab.host2Uri}`);
    const active = lab;

    const migrate = async (title: string, domain: string, from: string, to: string, extra: Partial<MigrationRequest['run']>) => {
      const flags = Object.keys(extra)
        .filter((k) => extra[k as keyof typeof extra] === true)
        .map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
        .join(' ');
      say(style.dim(`$ pmc -c ${from} migrate --pmc ${flags} --verbose ${domain} ${to}`));
      const { exitCode } = await runMigration({
        mode: 'migrate',
        domain,
        sourceUri: from,
        destUri: to,
        run: extra,
        withChecks: true,
        json: opts.json === true,
        color: opts.color,
        verbose: true,
        signal: interrupt.signal,
      });
      say(style.dim(`(${title}: exit code ${exitCode})`));
      return exitCode;
    };

    step(2, `A checked live migration: ${active.sharedDiskGuest} host1 → host2`);
    const first = await migrate('checked migration', active.sharedDiskGuest, active.host1Uri, active.host2Uri, { live: true });
    if (first !== ExitCode.ok) return first;

    step(3, `A migration a critical check blocks: ${active.localDiskGuest}, disk only on host1, no --copy-storage-all`);
    const blocked = await migrate('blocked migration', active.localDiskGuest, active.host1Uri, active.host2Uri, { live: true });
    if (blocked === ExitCode.interrupted) return blocked;
    const where = await whereRuns(active, active.localDiskGuest);
    say(`${active.localDiskGuest} runs on: ${where.join(', ') || 'nowhere'} (nothing moved: ${where.length === 1 && where[0] === 'host1' ? 'yes' : 'NO'})`);
    if (blocked !== ExitCode.blocked || where.join() !== 'host1') {
      say(style.red('The blocked migration did not behave as it should.'));
      return ExitCode.error;
    }

    step(4, `${active.sharedDiskGuest} back: host2 → host1`);
    const back = await migrate('migration back', active.sharedDiskGuest, active.host2Uri, active.host1Uri, { live: true });
    if (back !== ExitCode.ok) return back;
    return ExitCode.ok;
  } finally {
    if (lab) {
      step(5, 'Bringing the lab down');
      await lab.down().catch((error: unknown) => {
        process.stderr.write(`pmc: the lab did not come down cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
      });
    }
    interrupt.dispose();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('the two-host lab: a checked migration, a blocked one, and back')
    .description(
      'Bring the two-host QEMU lab up, live-migrate lab-vm host1→host2 with the checks,\n' +
        'show a migration a critical check blocks (lab-vm-disk, whose disk only host1 has),\n' +
        'migrate lab-vm back, and bring the lab down (also on failure or Ctrl-C). Needs root.',
    )
    .option('--json', 'print the reports as JSON')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addHelpText('after', '\nExamples:\n  pmc demo\n  PMC_LAB_ID=mine pmc demo --no-color')
    .action(async (opts: DemoOptions) => {
      process.exitCode = await runDemo(opts);
    });
}
