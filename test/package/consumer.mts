// A strict TypeScript consumer (ESM): type-checked only, by scripts/test-package.sh.
import { Connection, LibvirtError, isLibvirtError, type CheckDefinition, type Report } from 'libvirt-pmc';

const sameRack: CheckDefinition = {
  name: 'site.same-rack',
  severity: 'critical',
  description: 'Guests stay in their rack',
  async run({ facts }) {
    const [a, b] = await Promise.all([facts.source.hostname(), facts.destination.hostname()]);
    return a.slice(0, 4) === b.slice(0, 4) || { status: 'fail', message: `${b} is in another rack` };
  },
};

const wrongSeverity: CheckDefinition = {
  name: 'site.typo',
  // @ts-expect-error a severity is 'critical' or 'warning': the types are real, not any
  severity: 'fatal',
  description: 'never runs',
  run: () => true,
};

export async function dryRun(uri: string, name: string): Promise<Report['verdict']> {
  // Closed when the block ends, whatever happens (Symbol.asyncDispose).
  await using src = await Connection.open(uri);
  try {
    const dom = await src.lookupDomainByName(name);
    const report = await dom.checkPMC(src, { live: true, checks: [sameRack, wrongSeverity], timeoutMs: 5000 });
    return report.verdict;
  } catch (e) {
    if (e instanceof LibvirtError && isLibvirtError(e, 'VIR_ERR_NO_DOMAIN')) return 'blocked';
    throw e;
  }
}
