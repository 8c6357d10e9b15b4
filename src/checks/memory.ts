/** Room for the guest's memory on the destination: a safety rule libvirt does not enforce. */
import type { CheckDefinition } from '../pmc/types.js';
import { capabilitiesOf, domainModel, hugePageSizesOf } from '../pmc/parsed-facts.js';
import { fail, mib, pass, skip } from './util.js';

export const memoryAvailable: CheckDefinition = {
  name: 'memory.available',
  severity: 'critical',
  description:
    "The destination has free memory (and free huge pages of the guest's size) for the guest; a safety rule of Nova and oVirt, not libvirt's.",
  anchor: 'Nova conductor/tasks/live_migrate.py _check_destination_has_enough_memory; oVirt MemoryPolicyUnit',
  remedy:
    'Free memory (or huge pages) on the destination, shrink the guest, or pick a destination with more free memory.',
  offline: 'no memory is allocated there until the guest starts',
  async run({ facts, options }) {
    if (options.postcopyResume) {
      return skip("resuming a failed post-copy migration: the guest's memory is already allocated on the destination");
    }
    const [model, freeBytes] = await Promise.all([domainModel(facts), facts.destination.freeMemory()]);
    const needBytes = model.memoryKiB * 1024;
    const problems: string[] = [];
    if (!model.hugepages) {
      if (freeBytes < needBytes) problems.push(`it has ${mib(freeBytes)} free, the guest needs ${mib(needBytes)}`);
    } else {
      const caps = await capabilitiesOf(facts.destination);
      const sizes = hugePageSizesOf(model);
      const offered = (size: number) => !caps.pageSizesKiB.length || caps.pageSizesKiB.includes(size);
      // Every size's free pages at once (one round trip), read below in order.
      const free = sizes.map((size) => (offered(size) ? facts.destination.freePages(size) : null));
      await Promise.all(free.flatMap((p) => (p ? [p.catch(() => undefined)] : [])));
      for (const [i, size] of sizes.entries()) {
        if (!offered(size)) {
          problems.push(`it offers no ${size} KiB pages`);
          continue;
        }
        const cells = await free[i]!;
        const freePages = cells.reduce((sum, c) => sum + (c.freePages[String(size)] ?? 0), 0);
        const needPages = Math.ceil(model.memoryKiB / size);
        if (freePages < needPages)
          problems.push(`it has ${freePages} free ${size} KiB pages, the guest needs ${needPages}`);
      }
    }
    if (problems.length) {
      return fail(
        `the destination lacks memory for the guest: ${problems.join('; ')}. libvirt would start this migration anyway ` +
          `and fail (or swap) when QEMU allocates it; this is a safety rule: free memory there or pick another host`,
      );
    }
    return pass(
      model.hugepages
        ? `the destination has the free huge pages the guest's ${mib(needBytes)} need`
        : `the destination has ${mib(freeBytes)} free for the guest's ${mib(needBytes)}`,
    );
  },
};
