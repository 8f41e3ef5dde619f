import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import {
  createHeapReturn,
  memoryReducingCollector,
  shouldReturn,
  type MemorySample,
} from '../../../src-main/lib/heap-return.ts';

const MIB = 2 ** 20;
const at = (rssMiB: number, heapMiB: number): MemorySample => ({
  rss: rssMiB * MIB,
  heapTotal: heapMiB * MIB,
});

describe('shouldReturn', () => {
  // 95 MiB resident outside V8's heap.
  const floor = at(140, 45);
  it.each([
    ['no growth', at(140, 45), false],
    ['a burst: the heap grows with the resident memory', at(175, 78), false],
    ['growth outside the heap below the slack', at(155, 45), false],
    ["the heap back to its size, the resident memory 16 MiB above: V8's kept pages", at(156, 45), true],
    ['the heap smaller than at the floor, the resident memory as it was', at(160, 29), true],
  ])('%s', (_what, now, expected) => {
    expect(shouldReturn(floor, now, 16 * MIB)).toBe(expected);
  });
});

/** A process whose memory the test scripts: each sample() returns the current figures. */
function scriptedProcess(start: MemorySample) {
  let current = start;
  const collections: MemorySample[] = [];
  let afterCollect: MemorySample | null = null;
  const heapReturn = createHeapReturn({
    sample: () => current,
    collect: () => {
      collections.push(current);
      if (afterCollect) current = afterCollect;
    },
    now: () => collections.length * 100,
    slack: 16 * MIB,
  });
  return {
    heapReturn,
    collections,
    set: (sample: MemorySample, afterCollection?: MemorySample) => {
      current = sample;
      afterCollect = afterCollection ?? null;
    },
  };
}

describe('createHeapReturn', () => {
  it('waits while a burst grows the heap, collects once it has shrunk, and reports both sides', () => {
    const p = scriptedProcess(at(140, 45));
    p.set(at(160, 60));
    expect(p.heapReturn.check()).toBeNull();
    p.set(at(175, 78));
    expect(p.heapReturn.check()).toBeNull();
    p.set(at(175, 46), at(141, 44));
    const report = p.heapReturn.check();
    expect(report).toEqual({ before: at(175, 46), after: at(141, 44), pauseMs: 100 });
    expect(p.collections).toHaveLength(1);
  });

  it('collects once for memory that stays in use, then counts from the new floor', () => {
    const p = scriptedProcess(at(140, 45));
    // Native memory (a page cache filling to its bound) that one collection cannot give back.
    p.set(at(160, 45), at(159, 45));
    expect(p.heapReturn.check()).not.toBeNull();
    expect(p.heapReturn.check()).toBeNull();
    expect(p.heapReturn.check()).toBeNull();
    expect(p.collections).toHaveLength(1);
    p.set(at(176, 45), at(160, 45));
    expect(p.heapReturn.check()).not.toBeNull();
    expect(p.collections).toHaveLength(2);
  });

  it('counts growth from the lowest point since the last collection', () => {
    const p = scriptedProcess(at(150, 45));
    p.set(at(130, 45));
    expect(p.heapReturn.check()).toBeNull();
    // 146 is below the first floor plus the slack, but 16 MiB above the lowest point.
    p.set(at(146, 45));
    expect(p.heapReturn.check()).not.toBeNull();
  });

  it('measures from the memory outside the heap, not from a heap that was small at start', () => {
    // At start the heap holds 20 MiB; in steady state 45 (caches, the ward's census): not V8's waste.
    const p = scriptedProcess(at(120, 20));
    p.set(at(145, 45));
    expect(p.heapReturn.check()).toBeNull();
    // After a burst the heap is back at 46 MiB but 20 MiB more stay resident: returned.
    p.set(at(166, 46), at(146, 44));
    expect(p.heapReturn.check()).not.toBeNull();
  });
});

describe('memoryReducingCollector', () => {
  it("gives back V8's heap pages held for garbage, without exposing gc to the app's context", () => {
    const collect = memoryReducingCollector();
    expect(collect).toBeTypeOf('function');
    expect('gc' in globalThis).toBe(false);
    let garbage: Array<{ n: number; s: string }> | null = Array.from({ length: 600_000 }, (_, n) => ({
      n,
      s: `row ${n}`,
    }));
    const held = getHeapStatistics().total_heap_size;
    const resident = process.memoryUsage.rss();
    expect(garbage.length).toBe(600_000);
    garbage = null;
    collect?.();
    // The rows were live when the figures were read (tens of MiB); after the collection V8 holds less,
    // and (what an ordinary full collection does not do) the process is smaller: the pages went back.
    expect(getHeapStatistics().total_heap_size).toBeLessThan(held - 16 * MIB);
    expect(process.memoryUsage.rss()).toBeLessThan(resident - 16 * MIB);
    expect(garbage).toBeNull();
  });
});
