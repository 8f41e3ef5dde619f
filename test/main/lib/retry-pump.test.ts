import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRetryPump, retryDelay } from '../../../src-main/lib/retry-pump.ts';

const onDrainError = (error: unknown) => {
  throw new Error(`no drain in this test throws, yet one did: ${String(error)}`);
};

/** A drain the test finishes by hand, counting how often the pump started one. */
function heldDrain() {
  const started: Array<{ isStopped: () => boolean; finish: () => void }> = [];
  const drain = (isStopped: () => boolean) =>
    new Promise<void>((resolve) => started.push({ isStopped, finish: resolve }));
  return { drain, started };
}

describe('retry pump', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('runs one drain at a time: a pump during a drain joins it', async () => {
    const { drain, started } = heldDrain();
    const pump = createRetryPump({ drain, nextDueAt: () => null, now: () => Date.now(), onDrainError });
    const first = pump.pump();
    const second = pump.pump();
    expect(started).toHaveLength(1);
    started[0]?.finish();
    await Promise.all([first, second]);
    void pump.pump();
    expect(started).toHaveLength(2);
  });

  it('after a drain, waits for the next item due and drains again then', async () => {
    const { drain, started } = heldDrain();
    let nextDue: number | null = Date.now() + 5_000;
    const pump = createRetryPump({ drain, nextDueAt: () => nextDue, now: () => Date.now(), onDrainError });
    const first = pump.pump();
    started[0]?.finish();
    await first;
    await vi.advanceTimersByTimeAsync(4_999);
    expect(started).toHaveLength(1);
    nextDue = null;
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(2);
    started[1]?.finish();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(started).toHaveLength(2); // nothing left queued: no timer
  });

  it('an item already due waits a short floor instead of spinning', async () => {
    const { drain, started } = heldDrain();
    const pump = createRetryPump({
      drain,
      nextDueAt: () => Date.now() - 10_000,
      now: () => Date.now(),
      onDrainError,
    });
    const first = pump.pump();
    started[0]?.finish();
    await first;
    await vi.advanceTimersByTimeAsync(49);
    expect(started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(2);
    pump.stop();
  });

  it('stop tells the running drain, schedules nothing after it, and refuses new drains', async () => {
    const { drain, started } = heldDrain();
    const pump = createRetryPump({
      drain,
      nextDueAt: () => Date.now() + 1_000,
      now: () => Date.now(),
      onDrainError,
    });
    const first = pump.pump();
    expect(started[0]?.isStopped()).toBe(false);
    pump.stop();
    expect(started[0]?.isStopped()).toBe(true);
    started[0]?.finish();
    await first;
    await vi.advanceTimersByTimeAsync(10_000);
    await pump.pump();
    expect(started).toHaveLength(1);
  });

  it('a drain that throws still schedules the next attempt, and a timer-started one is reported', async () => {
    let calls = 0;
    const timerErrors: unknown[] = [];
    const pump = createRetryPump({
      drain: () => {
        calls += 1;
        return Promise.reject(new Error('store busy'));
      },
      nextDueAt: () => Date.now() + 100,
      now: () => Date.now(),
      onDrainError: (error) => timerErrors.push(error),
    });
    await expect(pump.pump()).rejects.toThrow('store busy');
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
    expect(timerErrors).toEqual([new Error('store busy')]);
    pump.stop();
  });

  it('backs off by doubling from the base, capped', () => {
    const backoff = { baseMs: 5_000, capMs: 60_000 };
    expect([0, 1, 2, 3, 4, 50].map((attempts) => retryDelay(attempts, backoff))).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000,
    ]);
  });
});
