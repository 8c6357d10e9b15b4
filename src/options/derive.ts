/**
 * What derives from an option table, for any table (the real one in
 * table.ts, or a test's with a synthetic row): flags, typed-parameter
 * entries, `migrate3` params, and the options check files see.
 */
import { MAX_OF_TYPE, type OptionRow, type OptionTable, type ParamEntry, type ParamType } from './row.js';
import { invalidArgument, InvalidArgumentError, PmcError } from '../errors.js';

// Any options object: interfaces such as RunOptions have no index signature.
type Values = object;
const get = (options: Values, name: string): unknown => (options as Record<string, unknown>)[name];

function isSet(row: OptionRow, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  return row.type === 'boolean' ? value === true : true;
}

/**
 * The VIR_MIGRATE_* bits of the options that are set. `constants` is the
 * addon's (flags by name); a row naming a flag it lacks is a programming
 * error, thrown rather than packed as 0.
 */
export function flagsOf(table: OptionTable, options: Values, constants: Readonly<Record<string, number>>): number {
  let flags = 0;
  for (const [name, row] of Object.entries(table)) {
    if (row.flag === undefined || row.cliOnly || !isSet(row, get(options, name))) continue;
    const bit = constants[row.flag];
    if (bit === undefined)
      throw new PmcError(`migration option ${name}: libvirt has no ${row.flag}`, 'ERR_PMC_INTERNAL');
    flags |= bit;
  }
  return flags >>> 0;
}

/** The typed-parameter entries of the options that are set, in table order, for the native packer. */
export function paramEntriesOf(table: OptionTable, options: Values): ParamEntry[] {
  const entries: ParamEntry[] = [];
  for (const [name, row] of Object.entries(table)) {
    if (row.param === undefined || row.type === 'boolean') continue;
    const value = get(options, name);
    if (value !== undefined) entries.push([row.param, row.type, value, name]);
  }
  return entries;
}

/**
 * `domain.migrate3`'s params (keys by `paramKey` or name) as entries. An
 * unknown key is an InvalidArgumentError naming it: a typo must not vanish silently.
 */
export function migrateParamEntriesOf(table: OptionTable, params: Values): ParamEntry[] {
  const byKey = new Map<string, OptionRow>();
  for (const [name, row] of Object.entries(table)) {
    if (row.param !== undefined && row.type !== 'boolean') byKey.set(row.paramKey ?? name, row);
  }
  const entries: ParamEntry[] = [];
  for (const [key, value] of Object.entries(params)) {
    const row = byKey.get(key);
    if (row === undefined) throw new InvalidArgumentError(`unknown migration parameter: ${key}`);
    if (value !== undefined) entries.push([row.param!, row.type as ParamEntry[1], value, key]);
  }
  return entries;
}

/** The names of the rows particular to `scope` (OptionRow.scope), in table order. */
export function optionsOfScope(table: OptionTable, scope: NonNullable<OptionRow['scope']>): string[] {
  return Object.entries(table)
    .filter(([, row]) => row.scope === scope)
    .map(([name]) => name);
}

/**
 * The options an offline migration drops: the live-only rows, and the rows
 * that need nothing but those (copying chosen disks needs a storage copy).
 */
export function liveOnlyOptionsOf(table: OptionTable): string[] {
  const dropped = new Set(
    Object.entries(table)
      .filter(([, row]) => row.liveOnly)
      .map(([name]) => name),
  );
  for (const [name, row] of Object.entries(table))
    if (row.needs && row.needs.length > 0 && row.needs.every((n) => dropped.has(n))) dropped.add(name);
  return Object.keys(table).filter((name) => dropped.has(name));
}

/** The options check files see (`$options`): the set ones of allow-listed rows, in table order. */
export function checkFileOptionsOf(table: OptionTable, options: Values): [name: string, value: unknown][] {
  const out: [string, unknown][] = [];
  for (const [name, row] of Object.entries(table)) {
    const value = get(options, name);
    if (row.checkFiles && value !== undefined && value !== null) out.push([name, value]);
  }
  return out;
}

/**
 * Throws an InvalidArgumentError for the first option of `options` whose
 * value its row cannot carry: the wrong type, a whole number out of the row's
 * bounds or its type's (a C int for VIR_TYPED_PARAM_INT), an item outside the
 * row's choices. For API callers, before anything connects; the CLI's parsers
 * apply the same bounds while parsing.
 */
export function validateOptionsOf(table: OptionTable, options: Values): void {
  for (const [name, row] of Object.entries(table)) {
    const value = get(options, name);
    if (value === undefined) continue;
    switch (row.type) {
      case 'boolean':
        if (typeof value !== 'boolean') throw invalidArgument(name, 'a boolean', value);
        break;
      case 'string':
      case 'string-list': {
        const items = row.type === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : [undefined];
        if (items.some((item) => typeof item !== 'string')) {
          throw invalidArgument(name, row.type === 'string' ? 'a string' : 'an array of strings', value);
        }
        const choices = row.cli?.choices;
        const unknown = choices ? (items as string[]).filter((item) => !choices.includes(item)) : [];
        if (unknown.length > 0)
          throw new InvalidArgumentError(`${name}: unknown ${unknown.join(', ')} (expected ${choices!.join(', ')})`);
        break;
      }
      case 'int':
      case 'ullong': {
        const min = row.cli?.min ?? 0;
        const max = Math.min(row.cli?.max ?? Infinity, MAX_OF_TYPE[row.type]);
        if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
          throw invalidArgument(name, `a whole number from ${min} to ${max}`, value);
        }
        break;
      }
    }
  }
}

/** A typed parameter libvirt knows and the table does not: its type must be given. */
export interface RawParam {
  type: ParamType;
  value: unknown;
}

/** What `rawMigrateFlags` / `rawMigrateParams` decode to. */
export interface DecodedRaw {
  /** The options the known bits and parameters are (named as in the table). */
  options: Record<string, unknown>;
  /** Bits passed to libvirt as they are: unknown ones, and flags of rows that are not switches. */
  passFlags: number;
  /** The bits no row names. */
  unknownFlags: number;
  /** Parameters no row names, packed as their given type. */
  passParams: ParamEntry[];
}

const byParamOf = new WeakMap<OptionTable, Map<string, [string, OptionRow]>>();

/** The table's non-boolean rows by their typed parameter's field (the first row naming it); once per table. */
function rowsByParam(table: OptionTable): Map<string, [string, OptionRow]> {
  let byParam = byParamOf.get(table);
  if (!byParam) {
    byParam = new Map();
    for (const [name, row] of Object.entries(table)) {
      if (row.param !== undefined && row.type !== 'boolean' && !row.cliOnly && !byParam.has(row.param)) {
        byParam.set(row.param, [name, row]);
      }
    }
    byParamOf.set(table, byParam);
  }
  return byParam;
}

/**
 * Decodes raw VIR_MIGRATE_* bits and VIR_MIGRATE_PARAM_* values (by libvirt's
 * field name) into the table's options, so that checks reason about them;
 * what no row names is passed through and reported. An unknown parameter needs
 * `{ type, value }`: libvirt refuses a parameter of the wrong type.
 */
export function decodeRawOf(
  table: OptionTable,
  rawFlags: number,
  rawParams: Readonly<Record<string, unknown>>,
  constants: Readonly<Record<string, number>>,
): DecodedRaw {
  if (!Number.isInteger(rawFlags) || rawFlags < 0 || rawFlags > 0xffffffff) {
    throw invalidArgument('rawMigrateFlags', 'an unsigned 32-bit integer', rawFlags);
  }
  const out: DecodedRaw = { options: {}, passFlags: 0, unknownFlags: 0, passParams: [] };
  let left = rawFlags >>> 0;
  for (const [name, row] of left === 0 ? [] : Object.entries(table)) {
    if (row.flag === undefined || row.cliOnly) continue;
    const bit = constants[row.flag];
    if (bit === undefined || bit === 0 || (left & bit) !== bit) continue;
    left = (left & ~bit) >>> 0;
    if (row.type === 'boolean') out.options[name] = true;
    else out.passFlags |= bit; // its value comes from its parameter
  }
  out.unknownFlags = left;
  out.passFlags = (out.passFlags | left) >>> 0;
  for (const [field, raw] of Object.entries(rawParams)) {
    const known = rowsByParam(table).get(field);
    const typed = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as RawParam) : undefined;
    if (known) {
      out.options[known[0]] = typed ? typed.value : raw;
    } else if (typed && ['string', 'string-list', 'int', 'ullong'].includes(typed.type)) {
      out.passParams.push([field, typed.type, typed.value, field]);
    } else {
      throw new InvalidArgumentError(
        `rawMigrateParams.${field}: not a parameter pmc knows; give it as { type, value }`,
      );
    }
  }
  return out;
}
