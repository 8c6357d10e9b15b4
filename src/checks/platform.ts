/** The destination can run this kind of guest at all: arch, machine type, virt type, emulator. */
import type { CheckDefinition } from '../pmc/types.js';
import { capabilitiesOf, destinationDomainCapabilities, domainModel } from '../pmc/parsed-facts.js';
import { isLibvirtError, type LibvirtErrorCode } from '../errors.js';
import { fail, pass } from './util.js';

/** Errors that say nothing about the platform (connection trouble): let them surface as errors. */
const TRANSPORT_ERRORS: LibvirtErrorCode[] = [
  'VIR_ERR_RPC',
  'VIR_ERR_SYSTEM_ERROR',
  'VIR_ERR_INVALID_CONN',
  'VIR_ERR_NO_CONNECT',
];

export const platformSupported: CheckDefinition = {
  name: 'platform.supported',
  severity: 'critical',
  description:
    "The destination's domain capabilities offer the guest's arch, machine type, virt type and emulator (vSphere hardware version).",
  anchor: 'libvirt virConnectGetDomainCapabilities; vSphere CheckMigrate virtual hardware version',
  remedy:
    'Install the emulator and machine type on the destination, or change the machine type to one both hosts offer.',
  async run({ facts }) {
    const model = await domainModel(facts);
    const what = `arch ${model.arch ?? '?'}, machine ${model.machine ?? '(default)'}, virt type ${model.virtType}, emulator ${model.emulator ?? '(default)'}`;
    try {
      await destinationDomainCapabilities(facts);
      return pass(`the destination offers ${what}`);
    } catch (e) {
      if (isLibvirtError(e, ...TRANSPORT_ERRORS)) throw e;
      if (!isLibvirtError(e, 'VIR_ERR_NO_SUPPORT'))
        return fail(`the destination cannot run ${what}: ${(e as Error).message}`);
    }
    // No domain capabilities (the test driver): the <guest> list of the capabilities answers the same question.
    const caps = await capabilitiesOf(facts.destination);
    const guests = caps.guests.filter((g) => g.arch === model.arch && (!model.osType || g.osType === model.osType));
    const offers = guests.filter((g) =>
      g.domains.some((d) => {
        const emulator = d.emulator ?? g.emulator;
        const machines = [...g.machines, ...d.machines];
        return (
          d.type === model.virtType &&
          (!model.emulator || emulator === model.emulator) &&
          (!model.machine || machines.includes(model.machine))
        );
      }),
    );
    if (offers.length === 0) {
      return fail(
        `the destination's capabilities offer no guest with ${what} (no domain capabilities on this driver, read <guest> instead): ` +
          `install that emulator and machine type there`,
      );
    }
    return pass(
      `the destination's capabilities offer ${what} (read from <guest>: this driver has no domain capabilities)`,
    );
  },
};
