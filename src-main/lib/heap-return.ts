// Giving the memory of a busy period back to the operating system.
//
// When a host allocates fast (a catch-up of thousands of missed events; the simulator's morning draw in
// an accelerated demo), V8 enlarges its heap, and when the burst is over it shrinks the heap again but
// keeps the freed pages resident in its own pool: measured in the host, about +25 MiB of RSS that stayed
// for hours while V8's heap was back to its size before the burst, and that one memory-reducing
// collection gave back at once (docs/benchmarks.md, "Fourth run"). V8's own memory
// reducer waits for a low allocation rate that a host receiving a ward's traffic seldom has. So every few
// minutes the host compares the resident memory that V8's heap does not account for with what it was
// after the last such collection and, when it has grown by more than the slack, asks V8 for that
// collection itself.
//
// The collection pauses the thread (about 100 ms for a 45 MiB heap on the 2-core build machine; each one
// is reported with its pause); it runs at most once per growth of the slack, so memory that really is in
// use (a cache filling to its bound) costs one pause, not one per check.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemorySample {
  /** Resident memory of the process, bytes. */
  rss: number;
  /** What V8's heap holds (`total_heap_size`), bytes. */
  heapTotal: number;
}

export interface ReturnReport {
  before: MemorySample;
  after: MemorySample;
  pauseMs: number;
}

/** The message a host logs a return under (the day benchmark, bench/app-lib.ts, reads it). */
export const MEMORY_RETURNED_LOG = 'returned memory kept after a busy period';

/** Five minutes: a burst's pages are back within one check after it, at the cost of a timer tick. */
export const CHECK_EVERY_MS = 5 * 60_000;
/** Growth below this is left alone: the pause buys back less than it costs. */
export const SLACK_BYTES = 16 * 2 ** 20;

/** Resident memory that V8's heap does not account for: its pooled pages, and native memory. */
export const outsideHeap = (m: MemorySample): number => m.rss - m.heapTotal;

/**
 * Whether the memory outside V8's heap has grown by `slack` since `floor`. While a burst runs, V8's
 * heap grows with the resident memory; once V8 has shrunk its heap again, the pages it keeps show here.
 * (So does native memory, which one collection tells apart: it stays, and becomes the next floor.)
 */
export function shouldReturn(floor: MemorySample, now: MemorySample, slack: number): boolean {
  return outsideHeap(now) - outsideHeap(floor) >= slack;
}

export interface HeapReturnDeps {
  sample(): MemorySample;
  /** A memory-reducing collection: everything unreachable collected, the freed pages unmapped. */
  collect(): void;
  now(): number;
  slack: number;
}

export interface HeapReturn {
  /** Compare with the floor; collect when the growth is V8's freed pages. The report when it collected. */
  check(): ReturnReport | null;
}

/** The decision and its floor, without timers (the floor is the memory after the last collection). */
export function createHeapReturn(deps: HeapReturnDeps): HeapReturn {
  let floor = deps.sample();
  return {
    check: () => {
      const now = deps.sample();
      // The floor follows memory down, so growth is always counted from the lowest point since.
      if (outsideHeap(now) < outsideHeap(floor)) floor = now;
      if (!shouldReturn(floor, now, deps.slack)) return null;
      const started = deps.now();
      deps.collect();
      const pauseMs = deps.now() - started;
      floor = deps.sample();
      return { before: now, after: floor, pauseMs };
    },
  };
}

export function sampleMemory(): MemorySample {
  return { rss: process.memoryUsage.rss(), heapTotal: getHeapStatistics().total_heap_size };
}

type Collector = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * V8's collection function without exposing it to the app's own context: the flag is set only while a
 * fresh context is made, which alone receives `gc`. Null where the runtime refuses the flag.
 */
export function memoryReducingCollector(): (() => void) | null {
  setFlagsFromString('--expose-gc');
  let collector: unknown;
  try {
    collector = runInNewContext('typeof gc === "function" ? gc : null');
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  if (typeof collector !== 'function') return null;
  const gc = collector as Collector;
  // 'last-resort' is V8's collection of all available garbage: it compacts and releases pooled pages.
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/**
 * Check every `everyMs` (the timer does not keep the process alive); `onReturned` hears each collection.
 * Returns stop(). Without a collector (a runtime that refuses the flag) nothing runs and stop() is a no-op.
 */
export function startHeapReturn(
  onReturned: (report: ReturnReport) => void,
  everyMs: number = CHECK_EVERY_MS,
): () => void {
  const collect = memoryReducingCollector();
  if (!collect) return () => undefined;
  const heapReturn = createHeapReturn({
    sample: sampleMemory,
    collect,
    now: () => performance.now(),
    slack: SLACK_BYTES,
  });
  const timer = setInterval(() => {
    const report = heapReturn.check();
    if (report) onReturned(report);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
