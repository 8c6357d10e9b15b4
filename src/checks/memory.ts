/** Room for the guest's memory on the destination: a safety rule libvirt does not enforce. */
import type { CheckDefinition } from '../pmc/types.js';
import { capabilitiesOf, domainModel } from '../pmc/parsed-facts.js';
import { fail, mib, pass, skip } from './util.js';

/** x86's default huge page size, used when the guest asks for huge pages without a size. */
const DEFAULT_HUGEPAGE_KIB = 2048;

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
    const model = await domainModel(facts);
    const needBytes = model.memoryKiB * 1024;
    const freeBytes = await facts.destination.freeMemory();
    const problems: string[] = [];
    if (!model.hugepages) {
      if (freeBytes < needBytes) problems.push(`it has ${mib(freeBytes)} free, the guest needs ${mib(needBytes)}`);
    } else {
      const caps = await capabilitiesOf(facts.destination);
      for (const size of new Set(model.hugepages.map((h) => h.sizeKiB ?? DEFAULT_HUGEPAGE_KIB))) {
        if (caps.pageSizesKiB.length && !caps.pageSizesKiB.includes(size)) {
          problems.push(`it offers no ${size} KiB pages`);
          continue;
        }
        const cells = await facts.destination.freePages(size);
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
