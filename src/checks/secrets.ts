/** The secrets the guest's disks and vTPM use exist on the destination (Nova vTPM, libvirt secret lookup at start). */
import type { CheckDefinition } from '../pmc/types.js';
import { domainModel, secretRefsOf } from '../pmc/parsed-facts.js';
import { fail, pass } from './util.js';

export const secretsPresent: CheckDefinition = {
  name: 'secrets.present',
  severity: 'critical',
  description:
    'Every secret the domain uses (disk auth, disk encryption, vTPM) is defined on the destination (Nova vTPM secret).',
  anchor:
    'Nova virt/libvirt/driver.py vTPM secret; libvirt qemu_domain.c qemuDomainSecretPrepare (secret lookup at start)',
  remedy:
    'Define the secret with the same UUID (and set its value) on the destination: virsh secret-define + secret-set-value.',
  offline: 'libvirt looks the secrets up when the guest starts there, not before',
  async run({ facts }) {
    const model = await domainModel(facts);
    const refs = secretRefsOf(model);
    if (refs.length === 0) return pass('the domain uses no secret');
    // All lookups at once: one round trip, however many secrets.
    const found = await Promise.all(refs.map((ref) => facts.destination.secretFor(ref)));
    const missing: string[] = [];
    refs.forEach((ref, i) => {
      if (found[i] === null) missing.push(`${ref.usedBy} (${ref.uuid ? `uuid ${ref.uuid}` : `usage ${ref.usage}`})`);
    });
    if (missing.length) {
      return fail(
        `the destination lacks the secrets of ${missing.join(', ')}: define them there with the same UUID and value`,
      );
    }
    return pass(`all ${refs.length} secret${refs.length === 1 ? '' : 's'} the domain uses exist on the destination`);
  },
};
