// Where the host's memory goes over a long day (docs/benchmarks.md, row 7): the embedded server and its
// ward simulator alone, in this process, at a high simulated rate, sampled every 30 s after a full GC.
// JS heap against resident memory tells a leak in the server's own objects (the heap grows) from native
// memory filling to its bounds (SQLite's page cache, the allocator: RSS rises, then stays).
//
//   npm run bench:server:memory -- [--rate=600] [--minutes=8]
//
// Needs a GC it can call: the npm script runs node with --expose-gc.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src-main/core/log.ts';
import { startLocalDemo } from '../src-main/local/local-demo.ts';
import { commandLine, machine, machineState, numberArg, out, sleep } from './client-lib.ts';

const rate = numberArg('rate', 600);
const minutes = numberArg('minutes', 8);
const SAMPLE_MS = 30_000;

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc (npm run bench:server:memory does)');
const mib = (bytes: number) => bytes / 2 ** 20;

interface Sample {
  simHours: number;
  rss: number;
  heap: number;
  /** What V8 holds for its heap (used or not): a heap that fragments grows here, not in `heap`. */
  heapTotal: number;
  /** Memory of JS objects held outside the heap (buffers). */
  external: number;
}

function sample(startedAt: number): Sample {
  collect?.();
  const memory = process.memoryUsage();
  return {
    simHours: ((Date.now() - startedAt) * rate) / 3_600_000,
    rss: mib(memory.rss),
    heap: mib(memory.heapUsed),
    heapTotal: mib(memory.heapTotal),
    external: mib(memory.external),
  };
}

async function main(): Promise<void> {
  out(`# embedded server memory — ${machine()}`);
  out(`command: ${commandLine('bench:server:memory')}`);
  out(`machine state before: ${machineState()}`);
  out(
    `the embedded server and simulator at ${rate}× for ${minutes} real minutes, no client; GC before each sample`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-memory-'));
  const demo = await startLocalDemo({ dataDir: dir, logger: silentLogger(), simulationRate: rate });
  const startedAt = Date.now();
  const samples: Sample[] = [];
  try {
    out('sim hours  RSS MiB  JS heap MiB  V8 heap held MiB  external MiB');
    while (Date.now() - startedAt < minutes * 60_000) {
      await sleep(SAMPLE_MS);
      const s = sample(startedAt);
      samples.push(s);
      out(
        `${s.simHours.toFixed(1).padStart(9)}  ${s.rss.toFixed(1).padStart(7)}  ${s.heap.toFixed(1).padStart(11)}` +
          `  ${s.heapTotal.toFixed(1).padStart(16)}  ${s.external.toFixed(1).padStart(12)}`,
      );
    }
  } finally {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const first = samples[0];
  const middle = samples[Math.floor(samples.length / 2)];
  const last = samples.at(-1);
  if (first && middle && last) {
    const growth = (a: number, b: number) => `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)} %`;
    out(
      `first sample → last: RSS ${growth(first.rss, last.rss)}, JS heap ${growth(first.heap, last.heap)}; ` +
        `second half (from ${middle.simHours.toFixed(0)} simulated hours): RSS ${growth(middle.rss, last.rss)}, JS heap ${growth(middle.heap, last.heap)}`,
    );
  }
  out(`machine state after: ${machineState()}`);
}

await main();
