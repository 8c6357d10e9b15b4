/** `pmc migrate [--pmc] [options] <domain> <desturi> [<migrateuri>]`: virsh migrate, with pre-migration checks. */
import type { Command } from 'commander';
import { addMigrationArguments, addMigrationOptions } from '../migration-options.js';
import { migrationAction } from './migration-action.js';

export function registerMigrate(program: Command): void {
  const command = program
    .command('migrate')
    .summary('migrate a domain to another host, with --pmc after pre-migration checks')
    .description(
      'Migrate <domain> (name, UUID or ID) from the source (-c) to <desturi>, like virsh migrate.\n' +
        'With --pmc the pre-migration checks run first and a failing critical check stops it.\n' +
        'Exit codes: 0 migrated, 2 blocked by checks, 3 migration failed, 1 other error, 130 interrupted.',
    )
    .option('--pmc', "run the pre-migration checks first (the RFC's virsh migrate --pmc)");
  addMigrationOptions(
    addMigrationArguments(command, 'destination connection URI, e.g. qemu+ssh://host2/system'),
  ).addHelpText(
    'after',
    `
Examples:
  pmc -c qemu:///system migrate --pmc --live --verbose vm1 qemu+ssh://host2/system
  pmc -c qemu:///system migrate --pmc --live --copy-storage-all vm1 qemu+ssh://host2/system
  pmc migrate --pmc --live --skip-check cpu.compatible --json vm1 qemu+tcp://host2/system
  pmc migrate --live --p2p --tunnelled vm1 qemu+ssh://host2/system     # no checks, like virsh

Ctrl-C during the checks stops them (nothing is migrated); during the migration it
aborts the job, waits for libvirt and says where the guest runs (exit 130).`,
  );

  command.action(
    migrationAction(
      'migrate',
      "stopping; if the migration has started, its job is aborted and libvirt's answer awaited",
    ),
  );
}
