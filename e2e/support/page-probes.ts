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
