// What the page does with the browser's own services, observed (the real ones still run): the
// Notification API (each notification raised and closed) and Web Audio (each tone started). Installed
// before the app's scripts run.
import type { Page } from '@playwright/test';

export interface PageNotificationRecord {
  title: string;
  body: string;
  tag: string;
  closed: boolean;
}

export async function recordNotifications(page: Page): Promise<() => Promise<PageNotificationRecord[]>> {
  await page.addInitScript(() => {
    const records: Array<{ title: string; body: string; tag: string; closed: boolean }> = [];
    (window as unknown as { __notifications: typeof records }).__notifications = records;
    const Original = window.Notification;
    class Recorded extends Original {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        const record = { title, body: options?.body ?? '', tag: options?.tag ?? '', closed: false };
        records.push(record);
        const close = this.close.bind(this);
        this.close = () => {
          record.closed = true;
          close();
        };
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Original.permission });
    window.Notification = Recorded;
  });
  return () =>
    page.evaluate(() => (window as unknown as { __notifications: PageNotificationRecord[] }).__notifications);
}

export async function recordTones(page: Page): Promise<() => Promise<number>> {
  await page.addInitScript(() => {
    const w = window as unknown as { __tones: number };
    w.__tones = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
      w.__tones += 1;
      start.call(this, when);
    };
  });
  return () => page.evaluate(() => (window as unknown as { __tones: number }).__tones);
}

export interface AudioOpenRecord {
  /** Whether the sounding notice was in the page when the audio device was opened. */
  noticeShown: boolean;
  /** Frames painted between the notice entering the page and the device being opened. */
  framesPaintedSinceNotice: number;
}

/**
 * Each AudioContext the page creates (the first one opens the audio device: 340 ms of the main thread
 * in headless Chromium here, docs/benchmarks.md), and how many frames had been painted since the
 * sounding notice (`[data-testid="audible-cue"]`) entered the page. A frame counts as painted when a
 * message posted from its animation callback is handled: that task runs after the frame's paint.
 */
export async function recordAudioOpens(page: Page): Promise<() => Promise<AudioOpenRecord[]>> {
  await page.addInitScript(() => {
    const records: Array<{ noticeShown: boolean; framesPaintedSinceNotice: number }> = [];
    (window as unknown as { __audioOpens: typeof records }).__audioOpens = records;
    let painted = -1;
    const countFrames = () =>
      requestAnimationFrame(() => {
        const afterPaint = new MessageChannel();
        afterPaint.port1.onmessage = () => (painted += 1);
        afterPaint.port2.postMessage(null);
        if (painted < 20) countFrames();
      });
    new MutationObserver((_, observer) => {
      if (!document.querySelector('[data-testid="audible-cue"]')) return;
      observer.disconnect();
      painted = 0;
      countFrames();
    }).observe(document, { childList: true, subtree: true });
    const Original = window.AudioContext;
    class Recorded extends Original {
      constructor(options?: AudioContextOptions) {
        // Looked up now: the observer's callback may not have run yet in the task that shows the notice.
        const noticeShown = document.querySelector('[data-testid="audible-cue"]') !== null;
        records.push({ noticeShown, framesPaintedSinceNotice: Math.max(0, painted) });
        super(options);
      }
    }
    window.AudioContext = Recorded;
  });
  return () => page.evaluate(() => (window as unknown as { __audioOpens: AudioOpenRecord[] }).__audioOpens);
}
