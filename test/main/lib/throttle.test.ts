import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttled } from '../../../src-main/lib/throttle.ts';

// Fake timers and a fake clock: the pushes' cost is what the clock says, never how fast this machine is.
describe('throttled pushes', () => {
  let clock = 0;
  beforeEach(() => {
    clock = 0;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('coalesces requests within the interval into one push, the interval after the first', () => {
    let pushes = 0;
    const push = throttled(() => (pushes += 1), 50, { now: () => clock });
    push.request();
    push.request();
    vi.advanceTimersByTime(49);
    expect(pushes).toBe(0);
    vi.advanceTimersByTime(1);
    expect(pushes).toBe(1);
    push.request();
    vi.advanceTimersByTime(50);
    expect(pushes).toBe(2);
  });

  it('after a costly push waits in proportion to its cost (20× by default), then the interval again once cheap', () => {
    let pushes = 0;
    let cost = 30;
    const push = throttled(
      () => {
        pushes += 1;
        clock += cost; // the push's work, on the clock the throttle measures with
      },
      50,
      { now: () => clock },
    );
    push.request();
    vi.advanceTimersByTime(50);
    expect(pushes).toBe(1);
    // 30 ms of work: the next push not before 600 ms after it ended.
    cost = 0;
    push.request();
    vi.advanceTimersByTime(599);
    expect(pushes).toBe(1);
    vi.advanceTimersByTime(1);
    expect(pushes).toBe(2);
    // That one cost nothing: back to the interval.
    push.request();
    vi.advanceTimersByTime(50);
    expect(pushes).toBe(3);
  });

  it('pushes nothing after cancel', () => {
    let pushes = 0;
    const push = throttled(() => (pushes += 1), 50, { now: () => clock });
    push.request();
    push.cancel();
    vi.advanceTimersByTime(1_000);
    expect(pushes).toBe(0);
  });
});
