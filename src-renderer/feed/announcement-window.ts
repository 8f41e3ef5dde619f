// Pushed criticals are spoken together. The host pushes each alert of a batch on its own (up to the
// burst size of src-main/core/workstation/alert-pushes.ts), and each push arrives as its own task: 200
// criticals announced one by one would replace the live region 200 times, so a screen reader (the
// region is assertive) is cut off at every one and the nurse hears fragments. The first new critical
// opens a short window; when it closes, the criticals pushed meanwhile are one sentence
// (announcements.ts). A lone critical is spoken as itself, a quarter of a second later.
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { criticalsSentence, isNewCritical, type Announced } from './announcements.ts';

export const ANNOUNCE_WINDOW_MS = 250;

export interface AnnouncementWindow {
  /** A pushed alert: gathered when it is a new critical not announced yet. */
  push(alert: AlertSummary): void;
  /** Signed out: drop what is gathered (it names patients) without speaking it. */
  clear(): void;
}

interface Gathering {
  alerts: AlertSummary[];
  timer: ReturnType<typeof setTimeout> | null;
}

/** Newest first by the server's notification time; of equal times, the later pushed. */
function newestFirst(alerts: readonly AlertSummary[]): AlertSummary[] {
  return alerts
    .map((alert, order) => ({ alert, order }))
    .sort((a, b) => Date.parse(b.alert.occurredAt) - Date.parse(a.alert.occurredAt) || b.order - a.order)
    .map(({ alert }) => alert);
}

function close(gathering: Gathering, speak: (text: string) => void): void {
  const [newest, ...rest] = newestFirst(gathering.alerts);
  gathering.alerts = [];
  gathering.timer = null;
  if (newest) speak(criticalsSentence([newest, ...rest], false));
}

export function announcementWindow(
  speak: (text: string) => void,
  announced: Announced,
  windowMs = ANNOUNCE_WINDOW_MS,
): AnnouncementWindow {
  const gathering: Gathering = { alerts: [], timer: null };
  return {
    push(alert) {
      if (!isNewCritical(alert) || announced.has(alert.id)) return;
      // Counted as announced now, so a burst's re-read meanwhile does not speak it a second time.
      announced.add(alert.id);
      gathering.alerts.push(alert);
      gathering.timer ??= setTimeout(() => close(gathering, speak), windowMs);
    },
    clear() {
      if (gathering.timer) clearTimeout(gathering.timer);
      gathering.alerts = [];
      gathering.timer = null;
    },
  };
}
