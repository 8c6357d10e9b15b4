/** Runs the garbage collector (vitest runs the unit project with --expose-gc) and lets finalizers run. */
export async function collectGarbage(rounds = 6): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('global.gc is missing: run with --expose-gc (vitest.config.ts sets it)');
  for (let i = 0; i < rounds; i++) {
    gc();
    // Native finalizers and thread-safe-function teardown run on later turns of the loop.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
