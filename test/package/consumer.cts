// A strict TypeScript consumer (CommonJS): the require() types are the same module's.
import pmc = require('libvirt-pmc');
import include = require('libvirt-pmc/include');

const dir: string = include.include_dir;
const check: pmc.CheckDefinition = {
  name: 'site.cjs',
  severity: 'warning',
  description: 'from CommonJS',
  run: () => true,
};
export function isNoDomain(e: unknown): boolean {
  return (
    e instanceof pmc.LibvirtError &&
    pmc.isLibvirtError(e, 'VIR_ERR_NO_DOMAIN') &&
    dir.length > 0 &&
    check.name.length > 0
  );
}
