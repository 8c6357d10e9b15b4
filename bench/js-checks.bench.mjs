// Per-check overhead of JS checks run through the C runner (a ThreadSafeFunction
// call into JS, the check, the completion back into C), against the same
// functions called with Promise.all in plain JS. Both measured in one run, as
// medians of interleaved rounds; the ratio is what to compare across machines.
//
//   npm run build:ts && node bench/js-checks.bench.mjs [checks] [rounds]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '../dist/index.js';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const here = path.dirname(fileURLToPath(import.meta.url));
const uri = (name) => `test://${path.resolve(here, '..', 'test', 'fixtures', `${name}.xml`)}`;

const noop = async () => true;
const checks = Array.from({ length: N }, (_, i) => ({ name: `bench.noop${i}`, severity: 'info', run: noop }));

const source = await Connection.open(uri('host-a'));
const destination = await Connection.open(uri('host-b'));
const domain = await source.lookupDomainByName('guest1');

async function timeIt(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const runner = [];
const empty = [];
const plain = [];
// Warm up both paths once.
await domain.checkPMC(destination, { noBuiltins: true, checks });
await Promise.all(checks.map((c) => c.run({})));
for (let r = 0; r < ROUNDS; r++) {
  empty.push(await timeIt(() => domain.checkPMC(destination, { noBuiltins: true, checks: [] })));
  runner.push(await timeIt(() => domain.checkPMC(destination, { noBuiltins: true, checks })));
  plain.push(await timeIt(() => Promise.all(checks.map((c) => c.run({})))));
}
await Promise.all([source.close(), destination.close()]);

const perCheckRunner = ((median(runner) - median(empty)) * 1000) / N;
const perCheckPlain = (median(plain) * 1000) / N;
console.log(`checks per run:             ${N} (median of ${ROUNDS} interleaved rounds)`);
console.log(`run with no checks:         ${median(empty).toFixed(2)} ms (report, facts, where the guest runs)`);
console.log(`C runner, ${N} JS checks:  ${median(runner).toFixed(2)} ms`);
console.log(`Promise.all, plain JS:      ${median(plain).toFixed(2)} ms`);
console.log(`per check through C:        ${perCheckRunner.toFixed(2)} µs`);
console.log(`per check, plain JS:        ${perCheckPlain.toFixed(3)} µs`);
console.log(`overhead per check:         ${(perCheckRunner - perCheckPlain).toFixed(2)} µs (target ≤ 10 µs)`);
