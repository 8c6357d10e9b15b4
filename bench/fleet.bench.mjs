// The cost of an evacuation plan: planEvacuation of G guests of host 1 against
// hosts 2 and 3 (G = 1, 4, 8: lab-vm and transient copies of it), counted in
// libvirt calls (a pass-through log on the native handles) and wall time,
// against the naive way: one checkPMC per guest and candidate, one after
// another, each fetching its own facts. Medians of interleaved rounds, at each
// RTT of the lab's delaying proxies. Needs root (the lab); brings its own
// three-host lab up (PMC_LAB_ID, default `fleet-bench`) and down.
//
//   npm run build:ts && node bench/fleet.bench.mjs [rounds] [rtt,rtt,…]
//
// --scale: a fleet of 10 hosts with 100 small idle guests on host 1 (the lab's
// `--idle-guests`), at RTT 10 ms unless given: `pmc evacuate --plan-only` of all
// 100 against the 9 other hosts (the whole process's wall time; in-process,
// planEvacuation's libvirt calls per guest and per host), then `pmc evacuate
// --max-parallel 8` of all 100 (wall time against the sum of the migrations'
// times, pmc's peak RSS, and every guest on exactly one host afterwards, where
// the report says). The lab is PMC_LAB_ID, default `fleetscale`.
//
//   npm run build:ts && node bench/fleet.bench.mjs --scale [rtt]
import { Connection, planEvacuation } from '../dist/index.js';
import { logLibvirtCalls } from '../dist/binding/call-log.js';
import { LAB_VM, guestXml, idleGuestName, labDown, labUp } from '../dist/lab/index.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.argv[2] ?? 3);
const RTTS = (process.argv[3] ?? '0,10').split(',').map(Number);
const GUESTS = [1, 4, 8];
const id = process.env.PMC_LAB_ID ?? 'fleet-bench';
const OPTIONS = { live: true };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const extraNames = Array.from({ length: Math.max(...GUESTS) - 1 }, (_, i) => `fleet-vm-${i + 1}`);
const ms = (x) => `${Math.round(x)} ms`;

if (process.argv[2] === '--scale') {
  await scale(Number(process.argv[3] ?? 10));
  process.exit(0);
}

/** One plan of `domains`: its libvirt calls and wall time (connections opened before). */
async function viaPlan(lab, domains) {
  const conns = await Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
  try {
    const log = logLibvirtCalls(conns);
    const started = performance.now();
    const plan = await planEvacuation(conns[0], conns.slice(1), { ...OPTIONS, domains });
    const ms = performance.now() - started;
    log.restore();
    const blocked = plan.guests.filter((g) => g.destination === null);
    if (blocked.length)
      throw new Error(`the plan leaves guests behind: ${JSON.stringify(blocked.map((g) => g.reason))}`);
    return { calls: log.calls.length, ms };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

/** The naive way: every guest against every candidate, one checkPMC after another. */
async function sequential(lab, domains) {
  const conns = await Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
  try {
    const log = logLibvirtCalls(conns);
    const started = performance.now();
    for (const name of domains) {
      const dom = await conns[0].lookupDomainByName(name);
      for (const candidate of conns.slice(1)) await dom.checkPMC(candidate, OPTIONS);
    }
    const ms = performance.now() - started;
    log.restore();
    return { calls: log.calls.length, ms };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

const rows = [];
try {
  for (const rtt of RTTS) {
    const lab = await labUp({ id, hosts: 3, rtt });
    const h1 = await Connection.open(lab.hosts[0].uri);
    try {
      const running = new Set((await h1.listAllDomains()).map((d) => d.name));
      for (const name of extraNames) if (!running.has(name)) await h1.createDomain(guestXml(name));
    } finally {
      await h1.close();
    }
    for (const g of GUESTS) {
      const domains = [LAB_VM, ...extraNames.slice(0, g - 1)];
      await viaPlan(lab, domains); // warm-up
      const plan = [];
      const seq = [];
      for (let i = 0; i < ROUNDS; i++) {
        plan.push(await viaPlan(lab, domains));
        seq.push(await sequential(lab, domains));
      }
      rows.push({
        rtt,
        g,
        plan: { calls: median(plan.map((r) => r.calls)), ms: median(plan.map((r) => r.ms)) },
        seq: { calls: median(seq.map((r) => r.calls)), ms: median(seq.map((r) => r.ms)) },
      });
      console.error(`RTT ${rtt} ms, ${g} guests done`);
    }
  }
} finally {
  await labDown({ id });
}

// Wall time in round trips: at RTT > 0 how many dependent waves the plan took (its CPU time included).
const trips = (x, rtt) => (rtt > 0 ? ` = ${(x / rtt).toFixed(1)} RTT` : '');
console.log(`\n${ROUNDS} interleaved rounds, medians; 2 candidates; options ${JSON.stringify(OPTIONS)}\n`);
console.log(
  '| RTT | guests | plan calls | plan time | one checkPMC at a time: calls | time | time: sequential / plan |',
);
console.log('|---|---|---|---|---|---|---|');
for (const { rtt, g, plan, seq } of rows) {
  console.log(
    `| ${rtt} ms | ${g} | ${plan.calls} | ${ms(plan.ms)}${trips(plan.ms, rtt)} | ${seq.calls} | ${ms(seq.ms)} | ${(seq.ms / plan.ms).toFixed(1)}× |`,
  );
}
process.exit(0);

/** `pmc ARGS` as a process under /usr/bin/time: its wall time, peak RSS, exit status and JSON output. */
function pmc(args) {
  const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'pmc-peak-rss-kib %M', process.execPath, main, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  const ms = performance.now() - started;
  const rss = /pmc-peak-rss-kib (\d+)/.exec(r.stderr);
  if (!rss || r.stdout.trim() === '')
    throw new Error(`pmc ${args.slice(0, 4).join(' ')} …: exit ${r.status}: ${r.stderr}`);
  return { ms, rssMiB: Number(rss[1]) / 1024, status: r.status, json: JSON.parse(r.stdout) };
}

/** Where each guest runs: its name to the URIs (daemonUri: undelayed) of the hosts running it. */
async function whereGuestsRun(lab) {
  const where = new Map();
  await Promise.all(
    lab.hosts.map(async (host) => {
      const conn = await Connection.open(host.daemonUri);
      try {
        for (const d of await conn.listAllDomains())
          if (await d.isActive()) where.set(d.name, [...(where.get(d.name) ?? []), host.uri]);
      } finally {
        await conn.close();
      }
    }),
  );
  return where;
}

async function scale(rtt) {
  const HOSTS = 10;
  const GUESTS = 100;
  const scaleId = process.env.PMC_LAB_ID ?? 'fleetscale';
  const names = Array.from({ length: GUESTS }, (_, i) => idleGuestName(i + 1));
  const upStarted = performance.now();
  const lab = await labUp({ id: scaleId, hosts: HOSTS, rtt, idleGuests: GUESTS });
  console.error(
    `lab up: ${HOSTS} hosts, ${GUESTS} idle guests, RTT ${rtt} ms, in ${ms(performance.now() - upStarted)}`,
  );
  try {
    const [src, ...candidates] = lab.hosts.map((h) => h.uri);
    const before = await whereGuestsRun(lab);
    const away = names.filter((n) => before.get(n)?.[0] !== src || before.get(n).length !== 1);
    if (away.length) throw new Error(`not on host 1 alone before the bench: ${away.join(', ')}`);
    const domainArgs = names.flatMap((n) => ['--domain', n]);
    const common = ['-c', src, 'evacuate', '--live', '--json', ...domainArgs];

    // The plan in-process, with its libvirt calls counted (per guest and per host).
    const conns = await Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
    let inProcess;
    try {
      await planEvacuation(conns[0], conns.slice(1), { ...OPTIONS, domains: names }); // warm-up
      const log = logLibvirtCalls(conns);
      const started = performance.now();
      const plan = await planEvacuation(conns[0], conns.slice(1), { ...OPTIONS, domains: names });
      inProcess = { ms: performance.now() - started, calls: log.calls, plan };
      log.restore();
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
    const perHost = lab.hosts.map((h, i) => inProcess.calls.filter((c) => c.connection === conns[i].native).length);
    const unplanned = inProcess.plan.guests.filter((g) => g.destination === null);
    if (unplanned.length) throw new Error(`the plan leaves ${unplanned.length} guests behind`);

    // The plan as the command: the whole process.
    const planRun = pmc([...common.slice(0, 4), '--plan-only', ...common.slice(4), ...candidates]);
    const planned = planRun.json.guests.filter((g) => g.destination !== null).length;

    // The evacuation.
    const evac = pmc([...common, '--max-parallel', '8', ...candidates]);
    const after = await whereGuestsRun(lab);
    const report = evac.json.guests;
    const summed = report.reduce((sum, g) => sum + g.migration.durationMs, 0);
    const wrong = names.filter((n) => {
      const hosts = after.get(n) ?? [];
      const g = report.find((r) => r.domain === n);
      return hosts.length !== 1 || !g || g.domainLocation !== 'destination' || hosts[0] !== g.destination;
    });
    const perDestination = candidates.map((uri) => report.filter((g) => g.destination === uri).length);

    const calls = inProcess.calls.length;
    console.log(
      `\n${HOSTS} hosts, ${GUESTS} idle guests on host 1, RTT ${rtt} ms; options ${JSON.stringify(OPTIONS)}\n`,
    );
    console.log('| figure | measured |');
    console.log('|---|---|');
    console.log(
      `| \`pmc evacuate --plan-only\` of ${GUESTS} guests against ${candidates.length} hosts, whole process | ${ms(planRun.ms)}, ${planned} of ${GUESTS} planned (exit ${planRun.status}) |`,
    );
    console.log(
      `| planEvacuation in-process (connections open) | ${ms(inProcess.ms)} = ${(inProcess.ms / rtt).toFixed(1)} RTT; ${calls} libvirt calls, ${(calls / GUESTS).toFixed(1)} per guest |`,
    );
    console.log(`| its calls per host (host 1, the source; then the candidates) | ${perHost.join(', ')} |`);
    console.log(
      `| \`pmc evacuate --max-parallel 8\` of ${GUESTS} guests, whole process | ${ms(evac.ms)} (exit ${evac.status}); the migrations' times add up to ${ms(summed)}: wall / sum ${(evac.ms / summed).toFixed(3)} |`,
    );
    console.log(`| guests per destination | ${perDestination.join(', ')} |`);
    console.log(`| pmc's peak RSS: plan / evacuation | ${planRun.rssMiB.toFixed(0)} / ${evac.rssMiB.toFixed(0)} MiB |`);
    console.log(
      `| guests not on exactly one host, or not where the report says | ${wrong.length ? wrong.join(', ') : 'none'} |`,
    );
    if (wrong.length) process.exitCode = 1;
  } finally {
    if (!process.env.PMC_KEEP_LAB) await labDown({ id: scaleId });
  }
}
