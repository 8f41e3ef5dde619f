// Pushed criticals spoken together (src-renderer/feed/announcement-window.ts): the criticals pushed
// while the window is open are one sentence when it closes, each critical once, a lone one as itself,
// and nothing is spoken after sign-out. Fake timers: the window is a timer, asserted by its mechanism.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANNOUNCE_WINDOW_MS, announcementWindow } from '../../src-renderer/feed/announcement-window.ts';
import type { Announced } from '../../src-renderer/feed/announcements.ts';
import { alertSummary as alert } from '../support/alert-summary.ts';

let spoken: string[];
let announced: Announced;
const openWindow = () => announcementWindow((text) => spoken.push(text), announced);

beforeEach(() => {
  vi.useFakeTimers();
  spoken = [];
  announced = new Set();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('announcement window', () => {
  it('a lone pushed critical is spoken as itself when the window closes, and only once', () => {
    const window = openWindow();
    window.push(alert(8));
    expect(spoken).toEqual([]);
    vi.advanceTimersByTime(ANNOUNCE_WINDOW_MS);
    expect(spoken).toEqual(['New critical result: Potassium 6.8 mmol/L, Pat 8 · MRN PT-8, Ward A bed 8']);

    window.push(alert(8));
    vi.runAllTimers();
    expect(spoken).toHaveLength(1);
  });

  it('criticals pushed one by one within the window are one sentence naming the newest', () => {
    const window = openWindow();
    window.push(alert(1, { occurredAt: '2026-06-14T12:00:01Z' }));
    window.push(alert(3, { occurredAt: '2026-06-14T12:00:03Z' }));
    window.push(alert(2, { occurredAt: '2026-06-14T12:00:02Z' }));
    // Not critical, or not new: pushed too, never counted.
    window.push(alert(4, { tier: 'info' }));
    window.push(alert(5, { state: 'seen' }));
    vi.advanceTimersByTime(ANNOUNCE_WINDOW_MS);

    expect(spoken).toEqual([
      '3 new critical results arrived together. Newest: Potassium 6.3 mmol/L, Pat 3 · MRN PT-3, Ward A bed 3',
    ]);
    // A later critical opens a new window.
    window.push(alert(6));
    vi.advanceTimersByTime(ANNOUNCE_WINDOW_MS);
    expect(spoken).toHaveLength(2);
    expect(spoken[1]).toMatch(/^New critical result: Potassium 6\.6/);
  });

  it('two hundred criticals pushed as two hundred events are one sentence, not two hundred', () => {
    const window = openWindow();
    for (let n = 1; n <= 200; n++) window.push(alert(n));
    vi.runAllTimers();
    expect(spoken).toHaveLength(1);
    expect(spoken[0]).toMatch(/^200 new critical results arrived together\. Newest: .* Pat 200 · MRN PT-200/);
  });

  it('signed out inside the window: nothing gathered is spoken to the next person at the screen', () => {
    const window = openWindow();
    window.push(alert(1));
    window.clear();
    vi.runAllTimers();
    expect(spoken).toEqual([]);
  });
});
