import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { collectGarbage } from '../helpers/gc.js';

describe('object lifetimes', () => {
  it('lets a closed and dropped Connection be garbage-collected', async () => {
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((key) => collected.push(key));
    for (let i = 0; i < 10; i++) {
      const c = await Connection.open('test:///default');
      registry.register(c, `closed-${i}`);
      await c.getHostname();
      await c.close();
    }
    await collectGarbage();
    expect(collected.length).toBeGreaterThanOrEqual(8);
  });

  it('lets an unclosed, dropped Connection be garbage-collected (its finalizer closes it)', async () => {
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((key) => collected.push(key));
    for (let i = 0; i < 10; i++) {
      const c = await Connection.open('test:///default');
      registry.register(c, `open-${i}`);
      await c.getHostname();
    }
    await collectGarbage();
    expect(collected.length).toBeGreaterThanOrEqual(8);
  });
});
