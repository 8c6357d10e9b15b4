/**
 * A unix-socket proxy that delays every chunk by a fixed time in each direction:
 * a round trip through it takes at least twice that. The lab puts one in front
 * of each daemon (`labUp({ rtt })`) so that clients feel a remote host.
 *
 * `runDelayProxy` is self-contained (its only dependency, `node:net`, is passed
 * in): the lab runs it as the host's user with `node -e` from its source text
 * (`delayProxyScript`), so the proxy needs no file of the checkout, which lab
 * users may not be able to read.
 */
import type { Server } from 'node:net';

type Net = typeof import('node:net');

/**
 * Listens on `listenPath`; each client gets its own connection to `targetPath`,
 * and bytes flow both ways, each chunk `delayMs` late, in order. One timer per
 * direction (armed for the oldest chunk), not one per chunk; a direction with
 * more than `maxQueuedBytes` waiting pauses its reader until half of it is out.
 * The socket's mode follows the umask, as the daemon's does (0755 under root's
 * 022: only its owner, and root, may connect).
 */
export function runDelayProxy(
  net: Net,
  listenPath: string,
  targetPath: string,
  delayMs: number,
  maxQueuedBytes = 4 * 1024 * 1024,
): Promise<Server> {
  /** Forwards `from` to `to`, each chunk `delayMs` after it arrived; the end too. */
  const pipeDelayed = (from: import('node:net').Socket, to: import('node:net').Socket) => {
    const queue: { due: number; chunk: Buffer | null }[] = []; // null: the end of the stream
    let head = 0;
    let queued = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const now = performance.now();
      while (head < queue.length && queue[head]!.due <= now) {
        const { chunk } = queue[head++]!;
        if (chunk === null) to.end();
        else {
          queued -= chunk.length;
          to.write(chunk);
        }
      }
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      } else {
        timer = setTimeout(flush, queue[head]!.due - now);
      }
      if (from.isPaused() && queued + to.writableLength <= maxQueuedBytes / 2) from.resume();
    };
    const push = (chunk: Buffer | null) => {
      queue.push({ due: performance.now() + delayMs, chunk });
      if (timer === null) timer = setTimeout(flush, delayMs);
    };
    from.on('data', (chunk: Buffer) => {
      queued += chunk.length;
      push(chunk);
      if (queued + to.writableLength > maxQueuedBytes) from.pause();
    });
    // A slow reader on the other side: resume once its buffer drained.
    to.on('drain', () => {
      if (from.isPaused() && queued + to.writableLength <= maxQueuedBytes / 2) from.resume();
    });
    from.on('end', () => push(null));
    from.on('close', () => {
      if (head === queue.length) to.destroy();
      else setTimeout(() => to.destroy(), delayMs); // what was in flight still arrives
    });
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.createConnection({ path: targetPath, allowHalfOpen: true });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    pipeDelayed(client, upstream);
    pipeDelayed(upstream, client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPath, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * The `node -e` program of a proxy: arguments listen path, target path, one-way
 * delay in ms. A stale socket left by a killed proxy is removed first; SIGTERM
 * closes the listener (which removes its socket) and exits.
 */
export function delayProxyScript(): string {
  return `const net = require('node:net');
const [listenPath, targetPath, delay] = process.argv.slice(1);
require('node:fs').rmSync(listenPath, { force: true });
(${runDelayProxy.toString()})(net, listenPath, targetPath, Number(delay)).then((server) => {
  process.on('SIGTERM', () => { server.close(); process.exit(0); });
}, (error) => { console.error(error.message); process.exit(1); });`;
}
