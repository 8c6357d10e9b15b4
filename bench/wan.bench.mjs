// The check phase over a WAN: connect + lookup + the built-ins of a live
// check of lab-vm-disk (a local disk, copy-storage-all, no bandwidth option,
// so no dirty-rate window), through the lab's delaying proxies at each RTT,
// against a sequential baseline: the very libvirt calls the built-ins made
// (logged by a pass-through wrapper on the native handles during one
// checkPMC, its prefetched facts and its report's included), replayed one
// after another on fresh connections opened one after the other, as a naive
// script would. Medians of interleaved rounds. Needs root (the lab); brings
// its own lab up (PMC_LAB_ID, default `bench`) and down.
//
//   npm run build:ts && node bench/wan.bench.mjs [rounds] [rtt,rtt,…]
import { Connection } from '../dist/index.js';
import { logLibvirtCalls } from '../dist/binding/call-log.js';
import { LAB_VM_DISK, labDown, labUp } from '../dist/lab/index.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const RTTS = (process.argv[3] ?? '0,2,10,50').split(',').map(Number);
const id = process.env.PMC_LAB_ID ?? 'bench';
const OPTIONS = { live: true, copyStorageAll: true };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function viaPMC(lab) {
  const started = performance.now();
  const [src, dst] = await Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
  const dom = await src.lookupDomainByName(LAB_VM_DISK);
  const looked = performance.now();
  const report = await dom.checkPMC(dst, OPTIONS);
  const done = performance.now();
  await Promise.all([src.close(), dst.close()]);
  if (report.verdict === 'blocked')
    throw new Error(`the check is blocked: ${JSON.stringify(report.checks.filter((c) => c.status === 'fail'))}`);
  return { total: done - started, checks: done - looked };
}

/**
 * The same work, one call after another: connect to one host, then the other,
 * look the guest up, then every call the checkPMC made, in the order it made
 * them, each awaited before the next. A domain call goes to the handle the
 * replayed look-up returned, as a script would hold it (no extra look-up).
 */
async function sequential(lab, calls) {
  const started = performance.now();
  const conns = [];
  for (const h of lab.hosts) conns.push(await Connection.open(h.uri));
  const domains = [new Map(), new Map()];
  domains[0].set(LAB_VM_DISK, (await conns[0].lookupDomainByName(LAB_VM_DISK)).native);
  const looked = performance.now();
  for (const { side, domain, name, args } of calls) {
    const target = domain === null ? conns[side].native : domains[side].get(domain);
    if (!target) throw new Error(`the replay has no handle of ${domain} for ${name}: the log is out of order`);
    try {
      const result = await target[name](...args);
      if (name.startsWith('lookupDomainBy')) domains[side].set(result.getName(), result);
    } catch {
      // A call that fails in the checks (no such domain on the destination, …) fails here too: same round trip.
    }
  }
  const done = performance.now();
  await Promise.all(conns.map((c) => c.close()));
  return { total: done - started, checks: done - looked };
}

const rows = [];
try {
  for (const rtt of RTTS) {
    const lab = await labUp({ id, rtt });
    // The calls of one checkPMC, logged (after a warm-up run).
    await viaPMC(lab);
    const [src, dst] = await Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
    const dom = await src.lookupDomainByName(LAB_VM_DISK);
    const log = logLibvirtCalls([src, dst], [dom]);
    await dom.checkPMC(dst, OPTIONS);
    log.restore();
    // Which connection each call went to: 0 the source, 1 the destination.
    const calls = log.calls.map((c) => ({ ...c, side: c.connection === src.native ? 0 : 1 }));
    await Promise.all([src.close(), dst.close()]);
    const pmc = [];
    const seq = [];
    for (let i = 0; i < ROUNDS; i++) {
      pmc.push(await viaPMC(lab));
      seq.push(await sequential(lab, calls));
    }
    const p = { total: median(pmc.map((r) => r.total)), checks: median(pmc.map((r) => r.checks)) };
    const s = { total: median(seq.map((r) => r.total)), checks: median(seq.map((r) => r.checks)) };
    rows.push({ rtt, calls: calls.length, p, s });
    console.error(`RTT ${rtt} ms done`);
  }
} finally {
  await labDown({ id });
}

const ms = (x) => `${Math.round(x)} ms`;
const trips = (x, rtt) => (rtt > 0 ? ` = ${(x / rtt).toFixed(1)} RTT` : '');
console.log(
  `\n${ROUNDS} interleaved rounds per RTT, medians; checks = after the lookup; ${rows[0]?.calls} libvirt calls in the check phase\n`,
);
console.log('| RTT | pmc total | pmc checks | sequential total | sequential checks | total: sequential / pmc |');
console.log('|---|---|---|---|---|---|');
for (const { rtt, p, s } of rows) {
  console.log(
    `| ${rtt} ms | ${ms(p.total)} | ${ms(p.checks)}${trips(p.checks, rtt)} | ${ms(s.total)} | ${ms(s.checks)}${trips(s.checks, rtt)} | ${(s.total / p.total).toFixed(2)}× |`,
  );
}
process.exit(0);
