/** The secrets the guest's disks and vTPM use exist on the destination (Nova vTPM, libvirt secret lookup at start). */
import type { CheckDefinition } from '../pmc/types.js';
import { constants } from '../binding/native.js';
import type { LibvirtConstantName } from '../libvirt-names.js';
import type { SecretRef } from '../model/libvirt-xml.js';
import { domainModel } from '../pmc/parsed-facts.js';
import { fail, pass } from './util.js';

const USAGE_TYPE: Record<string, LibvirtConstantName> = {
  ceph: 'VIR_SECRET_USAGE_TYPE_CEPH',
  iscsi: 'VIR_SECRET_USAGE_TYPE_ISCSI',
  volume: 'VIR_SECRET_USAGE_TYPE_VOLUME',
  passphrase: 'VIR_SECRET_USAGE_TYPE_VOLUME',
  tls: 'VIR_SECRET_USAGE_TYPE_TLS',
  vtpm: 'VIR_SECRET_USAGE_TYPE_VTPM',
};

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
    const refs: SecretRef[] = model.disks.flatMap((d) => d.secrets);
    for (const t of model.tpms) if (t.secret) refs.push({ usedBy: 'tpm', uuid: t.secret, usage: null, type: 'vtpm' });
    if (refs.length === 0) return pass('the domain uses no secret');
    const missing: string[] = [];
    for (const ref of refs) {
      let found;
      if (ref.uuid) found = await facts.destination.secret(ref.uuid);
      else if (ref.usage) {
        const typeName = USAGE_TYPE[ref.type ?? ''] ?? 'VIR_SECRET_USAGE_TYPE_VOLUME';
        found = await facts.destination.secretByUsage(constants[typeName], ref.usage);
      } else continue;
      if (!found) missing.push(`${ref.usedBy} (${ref.uuid ? `uuid ${ref.uuid}` : `usage ${ref.usage}`})`);
    }
    if (missing.length) {
      return fail(
        `the destination lacks the secrets of ${missing.join(', ')}: define them there with the same UUID and value`,
      );
    }
    return pass(`all ${refs.length} secret${refs.length === 1 ? '' : 's'} the domain uses exist on the destination`);
  },
};
