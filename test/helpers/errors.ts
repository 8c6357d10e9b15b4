/** The error shapes the tests expect of a call that must fail. */
import { expect } from 'vitest';
import { CheckLoadError, LibvirtError } from '../../src/index.js';

/** The rejection of `p`, which must reject with a LibvirtError. */
export async function rejection(p: Promise<unknown>): Promise<LibvirtError> {
  const outcome = await p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(LibvirtError);
  return outcome.error as LibvirtError;
}

/** The CheckLoadError that `loading` (a load of `file`) rejects with; it must not load. */
export async function loadRejection(loading: Promise<unknown>, file: string): Promise<CheckLoadError> {
  const error = await loading.then(
    () => {
      throw new Error(`${file} loaded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckLoadError);
  return error as CheckLoadError;
}
