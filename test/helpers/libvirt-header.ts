/**
 * libvirt's own word on migration flags and parameters, read from the installed
 * header (libvirt-dev, needed to build the addon anyway): the oracle the option
 * table is tested against, so a misspelt field or a wrong type cannot pass.
 */
import { readFileSync } from 'node:fs';

export const LIBVIRT_DOMAIN_HEADER = '/usr/include/libvirt/libvirt-domain.h';

export interface LibvirtMigrateParam {
  /** e.g. VIR_MIGRATE_PARAM_DISKS_PORT */
  macro: string;
  /** e.g. disks_port */
  field: string;
  /**
   * The VIR_TYPED_PARAM_* its comment names (INT, ULLONG, STRING); for a
   * "multiple field" STRING; undefined where the comment says nothing
   * (listen_address in 9.0, a string in qemu_migration.h's list).
   */
  type: string | undefined;
  /** Its comment says it may be given more than once (a list). */
  repeatable: boolean;
}

/** Every `# define VIR_MIGRATE_PARAM_X "field"` with the type its doc comment states, by field. */
export function libvirtMigrateParams(): Map<string, LibvirtMigrateParam> {
  const text = readFileSync(LIBVIRT_DOMAIN_HEADER, 'utf8');
  const out = new Map<string, LibvirtMigrateParam>();
  const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*#\s*define\s+(VIR_MIGRATE_PARAM_\w+)\s+"([^"]+)"/g;
  for (const m of text.matchAll(re)) {
    const comment = m[1]!.replace(/\n\s*\*\s?/g, ' ').replace(/\s+/g, ' ');
    const repeatable = /multiple (field|times)/.test(comment);
    const type = /VIR_TYPED_PARAM_(\w+)/.exec(comment)?.[1] ?? (repeatable ? 'STRING' : undefined);
    out.set(m[3]!, { macro: m[2]!, field: m[3]!, type, repeatable });
  }
  return out;
}

/** Every VIR_MIGRATE_* flag of enum virDomainMigrateFlags with its value. */
export function libvirtMigrateFlags(): Map<string, number> {
  const text = readFileSync(LIBVIRT_DOMAIN_HEADER, 'utf8');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^\s*(VIR_MIGRATE_[A-Z0-9_]+)\s*=\s*\(1 << (\d+)\),/gm))
    out.set(m[1]!, 2 ** Number(m[2]));
  return out;
}
