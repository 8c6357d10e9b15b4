// One in-process planEvacuation of a lab's idle guests from host 1 against
// every other host, with the build of DIST (default this checkout's dist/):
// bench/fleet.bench.mjs --scale runs it as a child process for each build it
// compares, so that two builds never share a process. The connections are
// opened and one plan made (a warm-up) before the measured one. Prints one
// JSON line: wall time, CPU time, libvirt calls (per host, by name) and every
// pair's verdict.
//
//   node bench/plan-in-process.mjs LAB_ID GUESTS [DIST]
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [id, guests, distArg] = process.argv.slice(2);
const dist = pathToFileURL(path.resolve(distArg ?? new URL('../dist', import.meta.url).pathname)).href;
const { Connection, planEvacuation } = await import(`${dist}/index.js`);
const { logLibvirtCalls } = await import(`${dist}/binding/call-log.js`);
const { labStatus, idleGuestName } = await import(`${dist}/lab/index.js`);

const lab = await labStatus({ id });
if (!lab) throw new Error(`no lab ${id} is up`);
const names = Array.from({ length: Number(guests) }, (_, i) => idleGuestName(i + 1));
const conns = await Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
try {
  const options = { live: true, domains: names };
  await planEvacuation(conns[0], conns.slice(1), options); // warm-up
  const log = logLibvirtCalls(conns);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const plan = await planEvacuation(conns[0], conns.slice(1), options);
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  log.restore();
  const byName = {};
  for (const c of log.calls) byName[c.name] = (byName[c.name] ?? 0) + 1;
  console.log(
    JSON.stringify({
      ms,
      cpuMs: (user + system) / 1000,
      calls: log.calls.length,
      perHost: conns.map((c) => log.calls.filter((x) => x.connection === c.native).length),
      byName,
      planned: plan.guests.filter((g) => g.destination !== null).length,
      verdicts: Object.fromEntries(plan.guests.map((g) => [g.domain, g.ranking.map((r) => [r.uri, r.verdict])])),
    }),
  );
} finally {
  await Promise.all(conns.map((c) => c.close()));
}
