/** The domain's own state: running, no job, no snapshots, and a free name on the destination. */
import type { CheckDefinition } from '../pmc/types.js';
import { blockJobDisksOf, domainModel } from '../pmc/parsed-facts.js';
import { ACTIVE_STATES, fail, pass, skip } from './util.js';

export const domainState: CheckDefinition = {
  name: 'domain.state',
  severity: 'critical',
  description:
    'A non-offline migration needs an active domain, not one paused on an I/O error when abort-on-error is asked (libvirt, oVirt).',
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcBeginPhase "domain is not running"; qemuMigrationSrcIsAllowed',
  remedy:
    'Start the domain, or migrate it with --offline --persistent; for an I/O error, fix the storage and resume it first.',
  async run({ facts, options }) {
    const state = await facts.domain.state();
    if (options.postcopyResume) {
      // libvirt resumes only a post-copy migration that failed (qemuMigrationAnyCanResume): the source is paused so.
      if (state.state === 'paused' && state.reasonName === 'postcopy-failed') {
        return pass('the domain is paused after its post-copy migration failed: postcopyResume continues it');
      }
      return fail(
        `the domain is ${state.state}${state.reasonName ? ` (${state.reasonName})` : ''}, not paused after a failed ` +
          'post-copy migration: there is nothing to resume ("post-copy migration of domain has not failed")',
      );
    }
    if (!options.offline && !ACTIVE_STATES.has(state.state)) {
      return fail(`the domain is ${state.state}: start it, or migrate its definition with offline and persistent`);
    }
    if (!options.offline && options.abortOnError && state.state === 'paused' && state.reasonName === 'ioerror') {
      return fail(
        'the domain is paused on an I/O error and abort-on-error is asked: fix its storage and resume it first',
      );
    }
    const described = `the domain is ${state.state}${state.reasonName ? ` (${state.reasonName})` : ''}`;
    // libvirt's qemuMigrationSrcBegin asks for an active domain only without VIR_MIGRATE_OFFLINE.
    return pass(options.offline ? `${described}; an offline migration moves its definition in any state` : described);
  },
};

export const domainJob: CheckDefinition = {
  name: 'domain.job',
  severity: 'critical',
  description: 'No job (migration, save, dump, backup) and no block job runs on the domain (libvirt).',
  anchor:
    'libvirt qemu_migration.c qemuMigrationSrcIsAllowed "domain has active block job" (not for offline); qemu_domainjob.c job lock',
  remedy: 'Wait for the running job or block job to finish, or abort it (virsh domjobabort / blockjob --abort).',
  async run({ facts, options }) {
    if (options.postcopyResume) {
      return skip(
        "resuming continues the domain's failed post-copy migration job, whose phase libvirt checks itself (qemuMigrationAnyCanResume)",
      );
    }
    const state = await facts.domain.state();
    // libvirt answers job queries only for a running domain ("domain is not running").
    if (!ACTIVE_STATES.has(state.state)) {
      return skip(`the domain is ${state.state}: no QEMU runs, so no job or block job can run on it`);
    }
    const model = await domainModel(facts);
    // libvirt's qemuMigrationSrcIsAllowed looks for block jobs only when the migration is not offline.
    const disks = options.offline ? [] : blockJobDisksOf(model);
    // The job and every disk's block job at once: one round trip.
    const [job, jobs] = await Promise.all([
      facts.domain.jobInfo(),
      Promise.all(disks.map((d) => facts.domain.blockJob(d.target))),
    ]);
    const busy: string[] = [];
    if (job.type !== 'none' && job.type !== 'completed' && job.type !== 'failed' && job.type !== 'cancelled') {
      busy.push(`a ${job.type} job (${Math.round(job.timeElapsed / 1000)} s elapsed)`);
    }
    jobs.forEach((j, i) => {
      if (j) busy.push(`a block job on ${disks[i]!.target} (${j.end ? Math.round((100 * j.cur) / j.end) : 0}% done)`);
    });
    if (busy.length > 0) return fail(`the domain has ${busy.join(', ')}: wait for it or abort it before migrating`);
    return pass('no job or block job runs on the domain');
  },
};

export const domainSnapshots: CheckDefinition = {
  name: 'domain.snapshots',
  severity: 'critical',
  description: 'The domain has no snapshots: libvirt 9.0 refuses to migrate one that has (Proxmox, oVirt agree).',
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcIsAllowed "cannot migrate domain with %d snapshots"',
  remedy:
    'Delete the snapshots (virsh snapshot-delete, --metadata to keep the disk data) or re-create them after migrating.',
  async run({ facts }) {
    const count = await facts.domain.snapshotCount();
    if (count > 0) {
      return fail(
        `the domain has ${count} snapshot${count === 1 ? '' : 's'} and libvirt refuses to migrate it: ` +
          `delete them (snapshot-delete --metadata keeps the data) first`,
      );
    }
    return pass('the domain has no snapshots');
  },
};

export const domainNameFree: CheckDefinition = {
  name: 'domain.name-free',
  severity: 'critical',
  description:
    'The destination has no other domain of this name and does not run this one already (libvirt virDomainObjListAdd); resuming a failed post-copy migration needs it running there.',
  anchor: 'libvirt qemu_migration.c qemuMigrationDstPrepareAny; conf/virdomainobjlist.c virDomainObjListAddLocked',
  remedy: 'Rename or undefine the clashing domain on the destination, or migrate under another name (--dname).',
  async run({ domain, facts, options }) {
    const name = options.destName ?? domain.name;
    const uuid = domain.uuid;
    const [byName, byUUID] = await Promise.all([
      facts.destination.domainByName(name),
      facts.destination.domainByUUID(uuid),
    ]);
    if (byName && byName.uuid !== uuid) {
      return fail(
        `the destination already has a domain named ${name} with another UUID (${byName.uuid}): ` +
          `rename or undefine it there, or migrate with another name (destName)`,
      );
    }
    if (options.postcopyResume) {
      // The failed post-copy migration left the guest on the destination: that is what resuming continues.
      if (byUUID?.active && byUUID.name === name) {
        return pass(
          `the destination holds this domain from its failed post-copy migration: resuming continues it there`,
        );
      }
      return fail(
        `the destination does not run this domain (UUID ${uuid}${byUUID ? `, only an inactive definition as ${byUUID.name}` : ''}): ` +
          'there is no failed post-copy migration to resume; migrate without postcopyResume',
      );
    }
    if (byUUID?.active) return fail(`the destination already runs this domain (UUID ${uuid}) as ${byUUID.name}`);
    if (byUUID && byUUID.name !== name) {
      return fail(
        `the destination defines this domain's UUID ${uuid} under another name (${byUUID.name}): undefine it there`,
      );
    }
    if (byUUID)
      return pass(`the destination holds an inactive definition of this domain, which the migration replaces`);
    return pass(`no domain named ${name} or with UUID ${uuid} on the destination`);
  },
};
