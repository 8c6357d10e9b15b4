/** `pmc lab up|status|down`: the two-host QEMU lab on this machine (see docs/lab.md). */
import { Command, Option } from 'commander';
import { IDLE_GUEST_MIB, labDown, labStatus, labUp, type LabUpOptions } from '../../lab/index.js';
import { chosenLabHosts, installLabGates } from '../lab-gate.js';

/** `pmc lab status` exit codes (its own: not those of migrate/check). */
const LAB_NOT_UP = 1;
const LAB_NOT_ANSWERING = 2;

interface CommonFlags {
  id?: string;
  root?: string;
}

function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--id <id>', 'lab id, so several labs can run on one machine').env('PMC_LAB_ID').default('default'),
    )
    .addOption(
      new Option('--root <dir>', 'directory holding the labs').env('PMC_LAB_ROOT').default('/var/lib/pmc-lab'),
    );
}

function labOptions(
  flags: CommonFlags & { hosts?: string; rtt?: string; sasl?: boolean; postcopy?: boolean; idleGuests?: string },
): LabUpOptions {
  return {
    id: flags.id,
    root: flags.root,
    ...(flags.hosts !== undefined ? { hosts: Number(flags.hosts) } : {}),
    ...(flags.rtt !== undefined ? { rtt: Number(flags.rtt) } : {}),
    ...(flags.sasl !== undefined ? { sasl: flags.sasl } : {}),
    ...(flags.postcopy !== undefined ? { postcopy: flags.postcopy } : {}),
    ...(flags.idleGuests !== undefined ? { idleGuests: Number(flags.idleGuests) } : {}),
  };
}

export function labCommand(): Command {
  const lab = new Command('lab').description(
    'a lab of real libvirt hosts with QEMU guests on this machine (needs root): one daemon per host, ' +
      'each as its own user with its own hostname, host UUID and mount namespace',
  );

  commonOptions(lab.command('up'))
    .description('start the lab, or complete it (idempotent); returns once every daemon answers and the guests run')
    .option('--hosts <n>', 'number of hosts (2 for a new lab; fixed when the lab is created)')
    .option(
      '--rtt <ms>',
      "round-trip time between clients and each daemon, through a delaying proxy per host (libvirt's RPC only, " +
        'not the migration stream); 0: the direct sockets; default: what the lab has (0 for a new lab)',
    )
    .option(
      '--sasl',
      'the TLS listeners also ask for a user name and password (SASL SCRAM-SHA-256; fixed when the lab is created)',
    )
    .option(
      '--postcopy',
      "make the lab's own QEMU copy with CAP_SYS_PTRACE (userfaultfd), for guests that migrate post-copy; " +
        'default: what the lab has (docs/lab.md, docs/security.md)',
    )
    .option('--no-postcopy', 'remove that QEMU copy')
    .option(
      '--idle-guests <n>',
      `also run n small idle guests (idle-1, …; ${IDLE_GUEST_MIB} MiB each) on host 1, for planning and evacuating ` +
        'at scale; default: what the lab has (0 for a new lab)',
    )
    .option(
      '--hook [hosts]',
      "install pmc's gate (pmc hook install, default policy) on these hosts only (host-2,host-3 or 2,3; default: all); docs/hook.md",
    )
    .option('--json', 'print the hosts as JSON (name, URI, hostname, host UUID, …; with --sasl the credentials)')
    .action(
      async (
        flags: CommonFlags & {
          hosts?: string;
          rtt?: string;
          sasl?: boolean;
          postcopy?: boolean;
          idleGuests?: string;
          json?: boolean;
          hook?: string | true;
        },
      ) => {
        const started = performance.now();
        const info = await labUp(labOptions(flags));
        const gated = flags.hook === undefined ? [] : chosenLabHosts(info, flags.hook);
        await installLabGates(gated);
        if (flags.json) {
          console.log(JSON.stringify(info, null, 2));
          return;
        }
        const rtt = info.rtt > 0 ? `, RTT ${info.rtt} ms` : '';
        console.log(
          `lab "${info.id}" up in ${((performance.now() - started) / 1000).toFixed(1)} s (${info.dir}${rtt})`,
        );
        for (const host of info.hosts) {
          console.log(`  ${host.name}  ${host.hostname}  ${host.hostUUID}  ${host.uri}`);
          console.log(`  ${' '.repeat(host.name.length)}  TLS: ${host.tlsUri}`);
        }
        const idle = info.guests.filter((g) => g.startsWith('idle-')).length;
        const named = info.guests.slice(0, info.guests.length - idle).join(', ');
        console.log(`  guests on host-1: ${named}${idle ? `, and ${idle} idle guests (idle-1 … idle-${idle})` : ''}`);
        if (info.sasl) {
          console.log(
            `  SASL on the TLS URIs: user ${info.sasl.username}, password in ${info.dir}/pki/client/sasl-password`,
          );
        }
        if (info.postcopyEmulator) console.log(`  post-copy emulator: ${info.postcopyEmulator}`);
        for (const host of gated)
          console.log(`  gate on ${host.name}: ${host.hooksDir}/qemu.d, journal ${host.journalDir}`);
      },
    );

  commonOptions(lab.command('status'))
    .description('show the hosts of the lab, whether their daemons answer, and the guests on each')
    .option('--json', 'print the status as JSON (null when the lab is not up)')
    .addHelpText(
      'after',
      `
Exit codes:
  0  the lab is up and every daemon answers
  1  the lab is not up (or another error)
  2  the lab is up but some daemon does not answer`,
    )
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      const status = await labStatus(labOptions(flags));
      if (!status) {
        if (flags.json) console.log('null');
        console.error(`pmc: lab "${flags.id}" is not up (start it with: pmc lab up --id ${flags.id})`);
        process.exitCode = LAB_NOT_UP;
        return;
      }
      if (flags.json) {
        console.log(JSON.stringify(status, null, 2));
        if (!status.hosts.every((h) => h.answering)) process.exitCode = LAB_NOT_ANSWERING;
        return;
      }
      for (const host of status.hosts) {
        const state = host.answering
          ? 'answering'
          : host.daemonRunning
            ? `not answering (${host.error})`
            : 'daemon not running';
        const guests = host.domains.map((d) => `${d.name}${d.active ? '' : ' (off)'}`).join(', ') || 'no guests';
        console.log(`${host.name}  ${host.hostname}  pid ${host.pid}  ${state}  ${guests}`);
      }
      if (!status.hosts.every((h) => h.answering)) process.exitCode = LAB_NOT_ANSWERING;
    });

  commonOptions(lab.command('down'))
    .description('destroy the guests, stop the daemons the lab started, and remove its files')
    .action(async (flags: CommonFlags) => {
      const started = performance.now();
      await labDown(labOptions(flags));
      console.log(`lab "${flags.id}" down in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    });

  return lab;
}
