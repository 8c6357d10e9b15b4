/** The migration option table and its derivations, bound to the real table. */
import {
  decodeRawOf,
  flagsOf,
  liveOnlyOptionsOf,
  migrateParamEntriesOf,
  optionsOfScope,
  paramEntriesOf,
  validateOptionsOf,
  type DecodedRaw,
} from './derive.js';
import type { MigrateParamsOf, OptionRow, OptionsOf, ParamEntry } from './row.js';
import { migrationOptionTable } from './table.js';

export { migrationOptionTable } from './table.js';
export type { MigrationOptionTable } from './table.js';
export { MAX_OF_TYPE, optionKind } from './row.js';
export type { OptionRow, OptionTable, OptionsOf, MigrateParamsOf, ParamEntry, ParamType, ValueType } from './row.js';
// Every derivation, for any table (the functions below bind them to the real one).
export * from './derive.js';
export { renderOptionsDoc } from './doc.js';

/** Options of a migration, named after `virsh migrate`'s (docs/migration-options.md). They are visible to every check. */
// An interface (not an alias) so messages and hovers say `MigrationOptions`; the fields keep their rows' TSDoc.
export interface MigrationOptions extends OptionsOf<typeof migrationOptionTable> {}

/** Typed migration parameters (VIR_MIGRATE_PARAM_*) of `domain.migrate3` / `migrateToURI3`, each optional. */
export interface MigrateParams extends MigrateParamsOf<typeof migrationOptionTable> {}

/** virDomainMigrate3's flags for `options`; `constants` is the addon's. */
export function migrateFlags(options: MigrationOptions, constants: Readonly<Record<string, number>>): number {
  return flagsOf(migrationOptionTable, options, constants);
}

/** The typed parameters of `options`, as the native packer takes them. */
export function migrateParamEntries(options: MigrationOptions): ParamEntry[] {
  return paramEntriesOf(migrationOptionTable, options);
}

/** `domain.migrate3`'s params as the native packer takes them; an unknown key is an InvalidArgumentError. */
export function paramsToEntries(params: MigrateParams): ParamEntry[] {
  return migrateParamEntriesOf(migrationOptionTable, params);
}

/** Throws for a migration option its row cannot carry (type, bounds, choices). */
export function validateMigrationOptions(options: MigrationOptions): void {
  validateOptionsOf(migrationOptionTable, options);
}

/** Raw VIR_MIGRATE_* bits and parameters decoded into named options (decodeRawOf); `constants` is the addon's. */
export function decodeRawMigration(
  rawFlags: number,
  rawParams: Readonly<Record<string, unknown>>,
  constants: Readonly<Record<string, number>>,
): DecodedRaw {
  return decodeRawOf(migrationOptionTable, rawFlags, rawParams, constants);
}

type OptionName = keyof typeof migrationOptionTable;
/** The options of the real table particular to scope `S` (OptionRow.scope). */
export type OptionOfScope<S extends NonNullable<OptionRow['scope']>> = {
  [K in OptionName]: (typeof migrationOptionTable)[K] extends { scope: S } ? K : never;
}[OptionName];

/** The options of one destination, one guest, or the one running migration `pmc migrate` drives (OptionRow.scope). */
export function scopedOptions<S extends NonNullable<OptionRow['scope']>>(scope: S): OptionOfScope<S>[] {
  return optionsOfScope(migrationOptionTable, scope) as OptionOfScope<S>[];
}

/** The options an offline migration drops (liveOnlyOptionsOf). */
export const LIVE_ONLY_OPTIONS = liveOnlyOptionsOf(migrationOptionTable) as OptionName[];
