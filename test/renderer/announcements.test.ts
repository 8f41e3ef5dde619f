// What a screen reader hears about new criticals (src-renderer/feed/announcements.ts): a burst that came as one `feed-changed` push counted in one sentence that names the
// newest, without the criticals the page already showed, and never one twice.
import { describe, expect, it, vi } from 'vitest';
import { announcementWindow } from '../../src-renderer/feed/announcement-window.ts';
import { burstAnnouncement, criticalsOn, type Announced } from '../../src-renderer/feed/announcements.ts';
import { alertSummary } from '../support/alert-summary.ts';

const alert = alertSummary;

describe('announcements', () => {
  it('a burst: its new criticals counted in one sentence naming the newest, not those shown before', () => {
    const announced: Announced = new Set();
    // Newest first, as the feed holds them: three new criticals, one information row, two shown before.
    const after = [alert(5), alert(4, { tier: 'info' }), alert(3), alert(6), alert(2), alert(1)];
    const criticalsBefore = criticalsOn([alert(2), alert(1)]);

    expect(burstAnnouncement(criticalsBefore, after, announced, false)).toBe(
      '3 new critical results arrived together. Newest: Potassium 6.5 mmol/L, Pat 5 · MRN PT-5, Ward A bed 5',
    );
    // Announced once: the same rows read again say nothing, and a push of one of them neither.
    expect(burstAnnouncement(criticalsBefore, after, announced, false)).toBeNull();
    const spoken: string[] = [];
    vi.useFakeTimers();
    try {
      announcementWindow((text) => spoken.push(text), announced).push(alert(6));
      vi.runAllTimers();
    } finally {
      vi.useRealTimers();
    }
    expect(spoken).toEqual([]);
  });

  it('a catch-up: rows stored by one burst while waiting for their read are news when a later one classifies them', () => {
    const announced: Announced = new Set();
    const waiting = [
      alert(2, { tier: 'unclassified', fetch: 'pending' }),
      alert(1, { tier: 'unclassified', fetch: 'pending' }),
    ];
    // The first burst stored them: no critical yet, nothing said.
    expect(burstAnnouncement(new Set(), waiting, announced, false)).toBeNull();
    // The page held them, none critical; the next burst classified them.
    expect(burstAnnouncement(criticalsOn(waiting), [alert(2), alert(1)], announced, false)).toMatch(
      /^2 new critical results arrived together\. Newest: Potassium 6\.2/,
    );
  });

  it('a burst of one critical is told as a single result; a feed with older rows unloaded counts "or more"', () => {
    expect(burstAnnouncement(new Set(), [alert(3, { tier: 'info' }), alert(4)], new Set(), false)).toBe(
      'New critical result: Potassium 6.4 mmol/L, Pat 4 · MRN PT-4, Ward A bed 4',
    );
    expect(burstAnnouncement(new Set(), [alert(4), alert(3)], new Set(), true)).toMatch(
      /^2 or more new critical results arrived together\. Newest: Potassium 6\.4/,
    );
  });

  it('a burst without new criticals (information, acknowledged, already announced) says nothing', () => {
    const announced: Announced = new Set(['s:3']);
    const after = [alert(1, { tier: 'info' }), alert(2, { state: 'acknowledged' }), alert(3)];
    expect(burstAnnouncement(new Set(), after, announced, false)).toBeNull();
  });
});
