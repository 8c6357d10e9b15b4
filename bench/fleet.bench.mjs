// The cost of an evacuation plan: planEvacuation of G guests of host 1 against
// hosts 2 and 3 (G = 1, 4, 8: lab-vm and transient copies of it), counted in
// libvirt calls (a pass-through log on the native handles) and wall time,
// against the naive way: one checkPMC per guest and candidate, one after
// another, each fetching its own facts. Medians of interleaved rounds, at each
// RTT of the lab's delaying proxies. Needs root (the lab); brings its own
// three-host lab up (PMC_LAB_ID, default `fleet-bench`) and down.
//
//   npm run build:ts && node bench/fleet.bench.mjs [rounds] [rtt,rtt,…]
import { Connection, planEvacuation } from '../dist/index.js';
import { logLibvirtCalls } from '../dist/binding/call-log.js';
import { LAB_VM, guestXml, labDown, labUp } from '../dist/lab/index.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const RTTS = (process.argv[3] ?? '0,10').split(',').map(Number);
const GUESTS = [1, 4, 8];
const id = process.env.PMC_LAB_ID ?? 'fleet-bench';
const OPTIONS = { live: true };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const extraNames = Array.from({ length: Math.max(...GUESTS) - 1 }, (_, i) => `fleet-vm-${i + 1}`);

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

const ms = (x) => `${Math.round(x)} ms`;
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
