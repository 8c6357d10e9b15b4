/**
 * `pmc demo`: the lab up, a checked live migration host-1→host-2 with report and
 * progress, a migration a critical check blocks (nothing moves), lab-vm back,
 * the lab down — also on failure or Ctrl-C.
 */
import type { Command } from 'commander';
import { bringLabUp, type DemoHost, type DemoLab } from '../demo-lab.js';
import { ExitCode } from '../exit-codes.js';
import { evacuateHost } from './evacuate.js';
import { onInterrupt } from '../interrupt.js';
import { openConnection, runMigration } from '../migration-run.js';
import { styleFor } from '../style.js';

interface DemoOptions {
  color?: boolean;
  json?: boolean;
}

/** Where a guest runs: asked of both hosts. */
async function whereRuns(lab: DemoLab, name: string): Promise<string[]> {
  const hosts: string[] = [];
  for (const host of [lab.host1, lab.host2]) {
    const connection = await openConnection(host.uri, host.name);
    try {
      const domain = await connection.lookupDomainByName(name).catch(() => undefined);
      if (domain && (await domain.isActive())) hosts.push(host.name);
    } finally {
      await connection.close();
    }
  }
  return hosts;
}

/** The lab's hosts share one machine: a stated link speed (MiB/s) lets the convergence forecast decide. */
const LINK_SPEED = 1024;

export async function runDemo(opts: DemoOptions): Promise<number> {
  const style = styleFor(process.stdout, opts.color);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const step = (n: number, title: string) => say(`\n${style.bold(`== ${n}/5 ${title}`)}`);
  const interrupt = onInterrupt('stopping the demo; the lab comes down');
  let lab: DemoLab | undefined;
  try {
    step(1, 'Bringing the two-host lab up (two libvirt daemons, QEMU guests)');
    lab = await bringLabUp();
    for (const host of [lab.host1, lab.host2]) say(`${host.name}: ${host.uri}`);
    const active = lab;

    const migrate = async (title: string, domain: string, from: DemoHost, to: DemoHost) => {
      say(
        style.dim(
          `$ pmc -c ${from.uri} migrate --pmc --live --link-speed ${LINK_SPEED} --verbose ${domain} ${to.uri} ${to.migrationUri}`,
        ),
      );
      const { exitCode } = await runMigration({
        mode: 'migrate',
        domain,
        sourceUri: from.uri,
        destUri: to.uri,
        run: { live: true, migrateUri: to.migrationUri, linkSpeed: LINK_SPEED },
        withChecks: true,
        json: opts.json === true,
        color: opts.color,
        verbose: true,
        signal: interrupt.signal,
      });
      say(style.dim(`(${title}: exit code ${exitCode})`));
      return exitCode;
    };

    step(2, `A checked live migration: ${active.sharedDiskGuest} host-1 → host-2`);
    const first = await migrate('checked migration', active.sharedDiskGuest, active.host1, active.host2);
    if (first !== ExitCode.ok) return first;

    step(
      3,
      `A migration a critical check blocks: ${active.localDiskGuest}, disk only on host-1, no --copy-storage-all`,
    );
    const blocked = await migrate('blocked migration', active.localDiskGuest, active.host1, active.host2);
    if (blocked === ExitCode.interrupted) return blocked;
    const where = await whereRuns(active, active.localDiskGuest);
    say(
      `${active.localDiskGuest} runs on: ${where.join(', ') || 'nowhere'} (nothing moved: ${where.join() === active.host1.name ? 'yes' : 'NO'})`,
    );
    if (blocked !== ExitCode.blocked || where.join() !== active.host1.name) {
      say(style.red('The blocked migration did not behave as it should.'));
      return ExitCode.error;
    }

    step(4, `host-2 evacuated for maintenance: its guests (${active.sharedDiskGuest}) back to host-1, re-checked`);
    say(
      style.dim(
        `$ pmc -c ${active.host2.uri} evacuate --live --link-speed ${LINK_SPEED} --verbose ${active.host1.uri}`,
      ),
    );
    const back = await evacuateHost(active.host2.uri, [active.host1.uri], {
      run: { live: true, linkSpeed: LINK_SPEED },
      signal: interrupt.signal,
      verbose: true,
      color: opts.color,
    });
    say(style.dim(`(evacuation: exit code ${back})`));
    if (back !== ExitCode.ok) return back;
    // Nothing lost: each guest runs on exactly one host, asked of both daemons.
    for (const guest of [active.sharedDiskGuest, active.localDiskGuest]) {
      const hosts = await whereRuns(active, guest);
      say(`${guest} runs on: ${hosts.join(', ') || 'no host'}`);
      if (hosts.join() !== active.host1.name) {
        say(style.red(`${guest} should run on ${active.host1.name} alone.`));
        return ExitCode.error;
      }
    }
    say(
      `\n${style.green('Demo done:')} ${active.sharedDiskGuest} migrated with every check passing and back by an evacuation; ${active.localDiskGuest} blocked by a critical check, still on ${active.host1.name}.`,
    );
    return ExitCode.ok;
  } finally {
    if (lab) {
      step(5, 'Bringing the lab down');
      await lab.down().catch((error: unknown) => {
        process.stderr.write(
          `pmc: the lab did not come down cleanly: ${error instanceof Error ? error.message : String(error)}\n`,
        );
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
      'Bring the two-host QEMU lab up, live-migrate lab-vm host-1→host-2 with the checks,\n' +
        'show a migration a critical check blocks (lab-vm-disk, whose disk only host-1 has),\n' +
        'evacuate host-2 (lab-vm back to host-1), and bring the lab down (also on failure or Ctrl-C). Needs root.',
    )
    .option('--json', 'print the reports as JSON')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addHelpText('after', '\nExamples:\n  pmc demo\n  PMC_LAB_ID=mine pmc demo --no-color')
    .action(async (opts: DemoOptions) => {
      process.exitCode = await runDemo(opts);
    });
}
