// The library inside a Node service: two long-lived connections to two lab
// hosts, checkPMC of one guest (lab-vm-disk, live, copy-storage-all) over and
// over, in rounds of 200 one after another and 200 with 20 in flight. Per
// round: the event loop's delay (monitorEventLoopDelay, 1 ms resolution,
// reset per round: p99 and max), the JS thread's busy time per check
// (event-loop utilization's active time, which on a loaded machine also counts
// the time the thread waits for a core; the CPU time the JS thread itself used,
// from /proc/self/task/<pid>/schedstat; and process.cpuUsage of the whole
// process, libvirt's event loop and the call pool's threads included, for
// comparison), checks per second, RSS at the round's end. Then
// RSS over a long stretch of checks (20 in flight), sampled every 500.
//
// Each build given is run in a child process of its own, interleaved round
// by round (the machine is shared and noisy: compare within one run):
//
//   npm run build && node bench/service.bench.mjs [rounds] [dist,dist,…] [long]
//
// dist defaults to ./dist; a copy of main's build (its dist/ beside its
// build/Release/) gives the before/after ratio; `dist+cache` runs a build
// with a ServiceFactCache (10 s TTL) shared by all its checks. `long`: checks in the RSS
// stretch (default 5000; 0 to skip). Uses the lab PMC_LAB_ID (default
// `bench`), brought up if needed (`pmc lab up --id ID`, RTT as the lab has
// it), and leaves it up.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUND = 200;
const IN_FLIGHT = 20;
const OPTIONS = { live: true, copyStorageAll: true };

/** CPU time (ns) the JS thread (the process's main thread: its tid is the pid) has used so far. */
const jsThreadCpuNs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);

/** One child: one build, one kind of round (or the long stretch); prints one JSON line. */
async function child(build, kind, count, srcUri, dstUri) {
  const cached = build.endsWith('+cache');
  const dist = build.replace(/\+cache$/, '');
  const { Connection, ...api } = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  const guest = (await import(pathToFileURL(path.join(dist, 'lab', 'index.js')).href)).LAB_VM_DISK;
  const [src, dst] = await Promise.all([Connection.open(srcUri), Connection.open(dstUri)]);
  const dom = await src.lookupDomainByName(guest);
  // `dist+cache`: the same build with a service fact cache (10 s TTL) shared by every check.
  const serviceOptions = cached ? { factCache: new api.ServiceFactCache({ ttlMs: 10_000 }) } : {};
  const check = async () => {
    const report = await dom.checkPMC(dst, { ...OPTIONS, ...serviceOptions });
    if (report.verdict === 'blocked')
      throw new Error(`blocked: ${JSON.stringify(report.checks.filter((c) => c.status === 'fail'))}`);
  };
  // Warm-up: the JIT, the call pool's threads, the connections' first calls.
  for (let i = 0; i < 20; i++) await check();
  const inFlight = kind === 'sequential' ? 1 : IN_FLIGHT;
  const rss = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  global.gc?.();
  h.reset();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const js0 = jsThreadCpuNs();
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await check();
      done++;
      if (kind === 'long' && done % 500 === 0) rss.push(process.memoryUsage().rss);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const jsCpu = jsThreadCpuNs() - js0;
  h.disable();
  await Promise.all([src.close(), dst.close()]);
  console.log(
    JSON.stringify({
      p99: h.percentile(99) / 1e6,
      max: h.max / 1e6,
      busyPerCheck: elu.active / count,
      jsCpuPerCheck: jsCpu / 1e6 / count,
      cpuPerCheck: (cpu.user + cpu.system) / 1000 / count,
      perSecond: count / (wall / 1000),
      rss: process.memoryUsage().rss,
      rssSamples: rss,
    }),
  );
}

function runChild(dist, kind, count, uris) {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--child', dist, kind, String(count), ...uris],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`child ${dist} ${kind} exited ${code}`)),
    );
  });
}

if (process.argv[2] === '--child') {
  const [, , , dist, kind, count, srcUri, dstUri] = process.argv;
  await child(dist, kind, Number(count), srcUri, dstUri);
  process.exit(0);
}

const ROUNDS = Number(process.argv[2] ?? 3);
const DISTS = (process.argv[3] ?? path.join(here, '..', 'dist'))
  .split(',')
  .map((d) => (d.endsWith('+cache') ? `${path.resolve(d.slice(0, -6))}+cache` : path.resolve(d)));
const LONG = Number(process.argv[4] ?? 5000);
const id = process.env.PMC_LAB_ID ?? 'bench';
const lab = JSON.parse(
  execFileSync(process.execPath, [path.join(here, '..', 'dist', 'cli', 'main.js'), 'lab', 'up', '--id', id, '--json'], {
    encoding: 'utf8',
  }),
);
const uris = lab.hosts.slice(0, 2).map((h) => h.uri);

const results = new Map(DISTS.map((d) => [d, { sequential: [], concurrent: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of ['sequential', 'concurrent']) {
    for (const dist of DISTS) {
      const res = await runChild(dist, kind, ROUND, uris);
      results.get(dist)[kind].push(res);
      console.error(`round ${r + 1} ${kind} ${dist}: ${JSON.stringify(res)}`);
    }
  }
}
const long = new Map();
if (LONG > 0) for (const dist of DISTS) long.set(dist, await runChild(dist, 'long', LONG, uris));

const range = (xs, digits = 1) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo.toFixed(digits) === hi.toFixed(digits) ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const name = (d) => path.relative(process.cwd(), d) || '.';
const mib = (b) => (b / 2 ** 20).toFixed(0);
console.log(
  `\n${ROUNDS} interleaved rounds of ${ROUND} checks per build and kind (lab ${id}, RTT ${lab.rtt ?? 0} ms); ranges over the rounds\n`,
);
console.log(
  '| build | kind | loop delay p99 | loop delay max | JS busy per check (ELU) | JS thread CPU per check | CPU per check (process) | checks/s | RSS after round |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const dist of DISTS) {
  for (const kind of ['sequential', 'concurrent']) {
    const rs = results.get(dist)[kind];
    console.log(
      `| ${name(dist)} | ${kind === 'sequential' ? 'one after another' : `${IN_FLIGHT} in flight`} | ${range(
        rs.map((x) => x.p99),
        0,
      )} ms | ${range(
        rs.map((x) => x.max),
        0,
      )} ms | ${range(
        rs.map((x) => x.busyPerCheck),
        2,
      )} ms | ${range(
        rs.map((x) => x.jsCpuPerCheck),
        2,
      )} ms | ${range(
        rs.map((x) => x.cpuPerCheck),
        1,
      )} ms | ${range(
        rs.map((x) => x.perSecond),
        0,
      )} | ${range(
        rs.map((x) => x.rss / 2 ** 20),
        0,
      )} MiB |`,
    );
  }
}
for (const d of DISTS.slice(1)) {
  const [a, b] = [DISTS[0], d].map((x) => results.get(x).concurrent);
  console.log(
    `\nthroughput at ${IN_FLIGHT} in flight, ${name(d)} / ${name(DISTS[0])}: ${(median(b.map((x) => x.perSecond)) / median(a.map((x) => x.perSecond))).toFixed(2)}× (medians)`,
  );
}
for (const [dist, res] of long) {
  console.log(
    `\nRSS over ${LONG} checks (${IN_FLIGHT} in flight), ${name(dist)}: every 500: ${res.rssSamples.map(mib).join(', ')} MiB; loop delay p99 ${res.p99.toFixed(0)} ms, ${res.perSecond.toFixed(0)} checks/s`,
  );
}
process.exit(0);
