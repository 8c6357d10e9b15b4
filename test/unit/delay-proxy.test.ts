/**
 * The lab's delaying proxy (src/lab/delay-proxy.ts) between two real unix
 * sockets: an echo server, and a client timing its round trips. The lab's own
 * use (a proxy per daemon, `labUp({ rtt })`) is tested in test/e2e/lab-wan.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delayProxyScript, runDelayProxy } from '../../src/lab/delay-proxy.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pmc-delay-proxy-'));
const echoPath = path.join(dir, 'echo.sock');
let echo: net.Server;

beforeAll(async () => {
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(echoPath, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => echo.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function connect(p: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(p, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `bytes` and resolves with the ms until as many came back. */
function roundTrip(s: net.Socket, bytes: Buffer): Promise<{ ms: number; back: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const started = performance.now();
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= bytes.length) {
        s.off('data', onData);
        resolve({ ms: performance.now() - started, back: Buffer.concat(chunks) });
      }
    };
    s.on('data', onData);
    s.write(bytes);
  });
}

describe('delaying proxy', () => {
  it('delays a round trip by twice its one-way delay, not more than a few ms beyond', async () => {
    const listen = path.join(dir, 'p1.sock');
    const proxy = await runDelayProxy(net, listen, echoPath, 25);
    const s = await connect(listen);
    try {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push((await roundTrip(s, Buffer.from(`ping ${i}`))).ms);
      for (const ms of times) expect(ms).toBeGreaterThanOrEqual(49.5);
      expect(Math.min(...times)).toBeLessThan(50 + 15);
    } finally {
      s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('keeps the order of many chunks and a large transfer intact, past its queue bound', async () => {
    const listen = path.join(dir, 'p2.sock');
    // A 64 KiB bound on each direction's queue: 4 MiB must pause and resume the reader, not lose bytes.
    const proxy = await runDelayProxy(net, listen, echoPath, 5, 64 * 1024);
    const s = await connect(listen);
    try {
      const payload = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i / 4, i);
      const { back } = await roundTrip(s, payload);
      expect(back.equals(payload)).toBe(true);
    } finally {
      s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('runs from its script alone (node -e, as the lab starts it) and removes its socket on SIGTERM', async () => {
    const listen = path.join(dir, 'p3.sock');
    const child = spawn(process.execPath, ['-e', delayProxyScript(), '--', listen, echoPath, '10'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      for (let i = 0; i < 200 && !existsSync(listen); i++) await sleep(10);
      const s = await connect(listen);
      const { ms, back } = await roundTrip(s, Buffer.from('hello'));
      s.destroy();
      expect(back.toString()).toBe('hello');
      expect(ms).toBeGreaterThanOrEqual(19.5);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(listen)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
