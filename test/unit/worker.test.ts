import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { addonCandidates } from '../../src/binding/native.js';
import { fixtureUri } from '../helpers/fixtures.js';

const addon = addonCandidates().find((p) => existsSync(p))!;

/** Runs `body` (CommonJS, with `addon` and `post` in scope) in a worker; resolves with its messages and exit code. */
function runWorker(body: string, options: { terminateAfterMs?: number } = {}) {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const addon = require(${JSON.stringify(addon)});
    const post = (m) => parentPort.postMessage(m);
    ${body}`;
  return new Promise<{ messages: unknown[]; exitCode: number }>((resolve, reject) => {
    const worker = new Worker(source, { eval: true });
    const messages: unknown[] = [];
    worker.on('message', (m) => {
      messages.push(m);
      if (m === 'terminate-me' && options.terminateAfterMs !== undefined) {
        setTimeout(() => void worker.terminate(), options.terminateAfterMs);
      }
    });
    worker.on('error', reject);
    worker.on('exit', (exitCode) => resolve({ messages, exitCode }));
  });
}

/**
 * Runs `loop` forever in a worker (with c and b, connections to host-a and
 * host-b, and d, its guest1, in scope), terminating the worker `afterMs(i)` ms
 * after it started looping, `rounds` times; each must end by terminate(), and
 * the main thread must keep working after them all.
 */
async function terminateMidLoop(rounds: number, afterMs: (i: number) => number, loop: string): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const { exitCode } = await runWorker(
      `
      (async () => {
        const c = await addon.Connection.open(${JSON.stringify(fixtureUri('host-a'))}, false);
        const b = await addon.Connection.open(${JSON.stringify(fixtureUri('host-b'))}, false);
        const d = await c.lookupDomainByName('guest1');
        post('terminate-me');
        for (;;) {
${loop}
        }
      })();`,
      { terminateAfterMs: afterMs(i) },
    );
    expect(exitCode).toBe(1); // terminate()'s exit code
  }
  const c = await Connection.open('test:///default');
  expect((await c.getNodeInfo()).cpus).toBe(16);
  await c.close();
}

describe('worker threads', () => {
  it('loads the addon in a worker, uses it, closes, and exits cleanly', async () => {
    const { messages, exitCode } = await runWorker(`
      (async () => {
        const c = await addon.Connection.open(${JSON.stringify(fixtureUri('host-a'))}, false);
        const info = await c.getNodeInfo();
        const names = (await c.listAllDomains(0)).map((d) => d.getName()).sort();
        const err = await c.lookupDomainByName('nope').catch((e) => e);
        await c.close();
        post({ cpus: info.cpus, names, code: err.code, isError: err instanceof Error });
      })();`);
    expect(exitCode).toBe(0);
    expect(messages).toEqual([{ cpus: 8, names: ['guest-big', 'guest1'], code: 'VIR_ERR_NO_DOMAIN', isError: true }]);
  });

  it('exits cleanly when a worker leaves connections, domains and close listeners open', async () => {
    const { messages, exitCode } = await runWorker(`
      (async () => {
        const kept = [];
        for (let i = 0; i < 10; i++) {
          const c = await addon.Connection.open(i % 2 ? 'test:///default' : ${JSON.stringify(fixtureUri('host-b'))}, false);
          c.setCloseListener(() => {});
          kept.push(c, ...(await c.listAllDomains(0)));
        }
        globalThis.kept = kept;
        post('opened ' + kept.length);
      })();`);
    expect(exitCode).toBe(0);
    expect(messages).toEqual(['opened 20']);
  });

  it('survives terminate() of workers with pool calls and migrations in flight; the main thread keeps working', async () => {
    // Terminating at varied moments lands inside pool calls and inside
    // dedicated-thread migrations; before the fixes this aborted the process
    // (a C++ exception from settling a promise in a dead environment, and a
    // migration thread using a deleted thread-safe function).
    await terminateMidLoop(
      8,
      (i) => 5 + i * 7,
      `
          await Promise.allSettled([
            ...Array.from({ length: 20 }, () => c.getNodeInfo()),
            d.getXMLDesc(0),
            ...Array.from({ length: 8 }, () => d.migrate3(b, [], 0)),
          ]);`,
    );
  });

  it('survives terminate() of workers in the middle of check runs; the main thread keeps working', async () => {
    // The runner's thread outlives the worker: the check list, the cancel and
    // the thread-safe functions it uses must not go with the environment.
    await terminateMidLoop(
      6,
      (i) => 20 + i * 60,
      `
          const list = new addon.CheckList();
          for (let k = 0; k < 200; k++) list.addJs('t.c' + k, '', k % 3 ? 'info' : 'critical', 'js');
          const options = { migrate: false, sequential: false, strict: false, timeoutMs: 300, skip: [],
            progressIntervalMs: 50, migrateFlags: 0, params: [], dconnuri: undefined };
          // Every other check never settles: the run waits for its timeout.
          const dispatch = (indices) => setTimeout(() => {
            for (const i of indices) if (i % 2) list.complete(i, 0, 'ok');
          }, 1);
          await addon.runPMC(d, b, list, options, dispatch, () => {}, new addon.Cancel());`,
    );
  });

  it('runs the addon in four workers at once, each with its own connections', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        runWorker(`
          (async () => {
            const c = await addon.Connection.open(${JSON.stringify(fixtureUri(i % 2 ? 'host-b' : 'host-a'))}, false);
            const all = await Promise.all(Array.from({ length: 50 }, () => c.getNodeInfo()));
            await c.close();
            post(all.every((x) => x.cpus === all[0].cpus) ? all[0].cpus : -1);
          })();`),
      ),
    );
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
    expect(results.map((r) => r.messages[0])).toEqual([8, 2, 8, 2]);
  });
});
