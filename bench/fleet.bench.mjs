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
// planEvacuation's wall and CPU time and libvirt calls per guest and per host,
// in a child process, bench/plan-in-process.mjs), medians of --rounds
// interleaved rounds (default 3); with --baseline DIR (another build's
// checkout, its dist/ built) the same for that build in the same rounds, and
// whether both plans give every guest the same verdict on every candidate.
// Then, unless --plan-only, `pmc evacuate --max-parallel 8` of all 100 (wall
// time against the sum of the migrations' times, pmc's peak RSS, and every
// guest on exactly one host afterwards, where the report says). The lab is
// PMC_LAB_ID, default `fleetscale`; PMC_KEEP_LAB=1 leaves it up.
//
//   npm run build:ts && node bench/fleet.bench.mjs --scale [rtt] [--rounds N] [--baseline DIR] [--plan-only]
import { Connection, planEvacuation } from '../dist/index.js';
import { logLibvirtCalls } from '../dist/binding/call-log.js';
import { LAB_VM, guestXml, idleGuestName, labDown, labUp } from '../dist/lab/index.js';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.argv[2] ?? 3);
const RTTS = (process.argv[3] ?? '0,10').split(',').map(Number);
const GUESTS = [1, 4, 8];
const id = process.env.PMC_LAB_ID ?? 'fleetbench';
const OPTIONS = { live: true };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const extraNames = Array.from({ length: Math.max(...GUESTS) - 1 }, (_, i) => `fleet-vm-${i + 1}`);
const ms = (x) => `${Math.round(x)} ms`;

if (process.argv[2] === '--scale') {
  const args = process.argv.slice(3);
  const flag = (name) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args.splice(i, 2)[1];
  };
  const planOnly = args.includes('--plan-only');
  const rounds = Number(flag('--rounds') ?? 3);
  const baseline = flag('--baseline');
  await scale(Number(args.find((a) => /^\d+$/.test(a)) ?? 10), { rounds, baseline, planOnly });
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
function pmc(args, root = fileURLToPath(new URL('..', import.meta.url))) {
  const main = path.join(root, 'dist', 'cli', 'main.js');
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

/** planEvacuation in a child process with the build of checkout `root` (bench/plan-in-process.mjs). */
function planInProcess(labId, guests, root) {
  const child = fileURLToPath(new URL('plan-in-process.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [child, labId, String(guests), path.join(root, 'dist')], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`plan-in-process.mjs (${root}): exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The pairs (guest, candidate) whose verdicts two plans' verdict maps (plan-in-process.mjs) disagree on. */
function differingVerdicts(a, b) {
  const differ = [];
  for (const [guest, ranking] of Object.entries(a)) {
    const other = new Map(b[guest] ?? []);
    for (const [uri, verdict] of ranking) if (other.get(uri) !== verdict) differ.push(`${guest}@${uri}`);
    if ((b[guest] ?? []).length !== ranking.length) differ.push(`${guest}: candidates differ`);
  }
  for (const guest of Object.keys(b)) if (!(guest in a)) differ.push(`${guest}: only in one plan`);
  return differ;
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

async function scale(rtt, { rounds, baseline, planOnly }) {
  const HOSTS = 10;
  const GUESTS = 100;
  const scaleId = process.env.PMC_LAB_ID ?? 'fleetscale';
  const names = Array.from({ length: GUESTS }, (_, i) => idleGuestName(i + 1));
  const here = fileURLToPath(new URL('..', import.meta.url));
  const builds = [{ label: 'this build', root: here }];
  if (baseline) builds.unshift({ label: `baseline (${baseline})`, root: path.resolve(baseline) });
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
    const planArgs = [...common.slice(0, 4), '--plan-only', ...common.slice(4), ...candidates];

    // Interleaved rounds: each build's plan in-process, then each build's plan-only process.
    const runs = builds.map(() => ({ inProcess: [], process: [] }));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => i).reverse();
      for (const i of order) runs[i].inProcess.push(planInProcess(scaleId, GUESTS, builds[i].root));
      for (const i of order) runs[i].process.push(pmc(planArgs, builds[i].root));
      console.error(`round ${round + 1} of ${rounds} done`);
    }
    for (const [i, run] of runs.entries()) {
      for (const r of run.inProcess)
        if (r.planned !== GUESTS)
          throw new Error(`${builds[i].label}: the plan leaves ${GUESTS - r.planned} guests behind`);
    }

    const [load] = (await import('node:os')).loadavg();
    console.log(
      `\n${HOSTS} hosts, ${GUESTS} idle guests on host 1, RTT ${rtt} ms; options ${JSON.stringify(OPTIONS)}; ` +
        `medians of ${rounds} interleaved rounds; load average ${load.toFixed(1)} at the end\n`,
    );
    console.log(`| figure | ${builds.map((b) => b.label).join(' | ')} |`);
    console.log(`|---|${builds.map(() => '---|').join('')}`);
    const row = (label, cell) => console.log(`| ${label} | ${runs.map(cell).join(' | ')} |`);
    row(`\`pmc evacuate --plan-only\` of ${GUESTS} guests against ${candidates.length} hosts, whole process`, (r) => {
      const m = median(r.process.map((p) => p.ms));
      const planned = r.process.at(-1).json.guests.filter((g) => g.destination !== null).length;
      return `${ms(m)}, ${planned} of ${GUESTS} planned, peak RSS ${median(r.process.map((p) => p.rssMiB)).toFixed(0)} MiB`;
    });
    row('planEvacuation in-process (connections open): wall, CPU', (r) => {
      const m = median(r.inProcess.map((p) => p.ms));
      return `${ms(m)} = ${(m / rtt).toFixed(1)} RTT; CPU ${ms(median(r.inProcess.map((p) => p.cpuMs)))}`;
    });
    row('its libvirt calls: all, per guest', (r) => {
      const calls = r.inProcess.at(-1).calls;
      return `${calls}, ${(calls / GUESTS).toFixed(1)} per guest`;
    });
    row('its calls per host (host 1, the source; then the candidates)', (r) => r.inProcess.at(-1).perHost.join(', '));
    if (baseline) {
      const ratio = (pick) =>
        (median(runs[1][pick].map((p) => p.ms)) / median(runs[0][pick].map((p) => p.ms))).toFixed(2);
      console.log(
        `\nthis build / baseline: plan-only process ${ratio('process')}×, in-process plan ${ratio('inProcess')}×`,
      );
      const differ = differingVerdicts(runs[0].inProcess.at(-1).verdicts, runs[1].inProcess.at(-1).verdicts);
      console.log(
        `pairs (guest, candidate) whose verdicts differ between the builds: ${differ.length ? differ.join(', ') : 'none'} (of ${GUESTS * candidates.length})`,
      );
      if (differ.length) process.exitCode = 1;
    }
    if (planOnly) return;

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
    console.log('\n| figure | measured |');
    console.log('|---|---|');
    console.log(
      `| \`pmc evacuate --max-parallel 8\` of ${GUESTS} guests, whole process | ${ms(evac.ms)} (exit ${evac.status}); the migrations' times add up to ${ms(summed)}: wall / sum ${(evac.ms / summed).toFixed(3)} |`,
    );
    console.log(`| guests per destination | ${perDestination.join(', ')} |`);
    console.log(`| pmc's peak RSS (evacuation) | ${evac.rssMiB.toFixed(0)} MiB |`);
    console.log(
      `| guests not on exactly one host, or not where the report says | ${wrong.length ? wrong.join(', ') : 'none'} |`,
    );
    if (wrong.length) process.exitCode = 1;
  } finally {
    if (!process.env.PMC_KEEP_LAB) await labDown({ id: scaleId });
  }
}
