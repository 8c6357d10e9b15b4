/**
 * commander's argument parsers, once for every command: whole numbers within
 * bounds, repeatable options, virsh's comma-separated lists. A bad value stops
 * the command before any connection, with commander's one-line error.
 */
import { InvalidArgumentError } from 'commander';

/** A whole number from `min` to `max` (decimal digits only: no 1e3, no 0x10, no sign). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      const bounds = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : '';
      throw new InvalidArgumentError(`Expected a whole number${bounds}.`);
    }
    return n;
  };
}

/** Repeatable options: each occurrence adds one value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * virsh takes lists comma-separated (--migrate-disks vda,vdb); repeating the
 * option adds to the list. With `choices`, every item must be one of them.
 */
export function commaList(choices?: readonly string[]) {
  return (value: string, previous: string[] = []): string[] => {
    const items = value.split(',').map((s) => s.trim());
    if (items.some((s) => s.length === 0)) throw new InvalidArgumentError('empty item in the list.');
    const unknown = choices ? items.filter((item) => !choices.includes(item)) : [];
    if (unknown.length > 0)
      throw new InvalidArgumentError(
        `Unknown ${unknown.map((u) => `'${u}'`).join(', ')}: expected ${choices!.join(', ')}.`,
      );
    return [...previous, ...items];
  };
}
