// `npm run fuzz -- [--runs 100000] [--seed N]`: the long fuzz of the parsing pipeline. The
// runs are split across the properties in test/support/pipeline-fuzz.ts; each is seeded, so a failure
// reproduces with the printed seed and path (fast-check's counterexample report).
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { memoryBoundCheck, properties } from '../test/support/pipeline-fuzz.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '100000' }, seed: { type: 'string', default: '20261122' } },
  strict: true,
});
const total = Number(values.runs);
const seed = Number(values.seed);
const props = properties();
const per = Math.ceil(total / props.length);
let cases = 0;
let failed = false;
const started = Date.now();
for (const [index, { name, property }] of props.entries()) {
  const t0 = Date.now();
  const result = fc.check(property, { seed: seed + index, numRuns: per });
  cases += result.numRuns;
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.failed) {
    failed = true;
    console.log(`FAIL ${name} after ${result.numRuns} runs (${seconds} s)`);
    console.log(fc.defaultReportMessage(result) ?? '');
  } else {
    console.log(`ok   ${name}: ${result.numRuns} cases, seed ${seed + index} (${seconds} s)`);
  }
}
const heapBefore = process.memoryUsage().heapUsed;
const mem = memoryBoundCheck(1024 * 1024, 64 * 1024 * 1024, 64 * 1024);
const memOk =
  mem.overflowAt !== null && mem.overflowAt <= 1024 * 1024 + 64 * 1024 && mem.growth < 64 * 1024 * 1024;
console.log(
  `${memOk ? 'ok  ' : 'FAIL'} memory bound: 64 MiB without a line end, 1 MiB limit -> overflow after ${mem.overflowAt} bytes, heap growth ${(mem.growth / 1048576).toFixed(1)} MiB (heap ${(heapBefore / 1048576).toFixed(0)} MiB)`,
);
console.log(`total: ${cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}`);
process.exit(failed || !memOk ? 1 : 0);
