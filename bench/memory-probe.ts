// Loaded with `node --import` into the host process by bench/app-lifecycle.ts (day): on SIGUSR2 it runs
// a full GC (the host is started with --expose-gc) and prints one line with the host's resident memory
// and V8's heap, so a figure can tell the JS heap's growth from native memory's, and V8's young
// generation (the new space, which V8 enlarges while allocation is fast) from the rest of its heap.
// Measurement only.
import { getHeapSpaceStatistics } from 'node:v8';

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('the memory probe needs node --expose-gc (bench/app-lib.ts passes it)');

process.on('SIGUSR2', () => {
  collect();
  const m = process.memoryUsage();
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  process.stderr.write(
    `BENCH-MEMORY ${mib(m.rss)} ${mib(m.heapUsed)} ${mib(m.heapTotal)} ${mib(m.external)} ${mib(newSpace)}\n`,
  );
});
