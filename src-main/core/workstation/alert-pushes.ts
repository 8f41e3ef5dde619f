// Alert changes to the page: one push per alert, or, for a burst, one "the feed changed" push.
//
// The monitor reports every alert it classifies, and a catch-up classifies hundreds in one batch (a
// whole batch is stored in one transaction and reported in one turn of the event loop). Pushing each
// one means reading it back, checking that the signed-in user may see it (on a ward workstation, a
// read of its focus with her token) and sending it to the page: 100,000 of each for 100,000 missed
// results. A burst is one push with nothing in it instead; the page reads the first page of its feed
// again, through the same access checks as any listing (docs/architecture.md, "Pushes to the page").
//
// Changes reported in one turn are gathered (an alert changed twice is pushed once) and handed over at
// the next (setImmediate): a live result waits for nothing but the rest of its own batch.

/**
 * More alerts than this in one turn are a burst. A live batch holds what arrived while the previous one
 * was read (a handful on a ward); a catch-up's batches hold up to 400 (monitor/enrichment.ts). Below
 * it every alert keeps its own push (the page gathers the criticals among them into one spoken
 * sentence: src-renderer/feed/announcement-window.ts); a burst refreshes the feed, the cue and the
 * counts, and is spoken in one sentence once the page has read its feed again
 * (src-renderer/api/burst-announcer.ts).
 */
export const BURST_ALERTS = 200;

export interface AlertPushTargets {
  /** Push this alert (its latest state) to whoever may see it. */
  one(alertId: string): void;
  /** Many alerts changed at once: tell the page to read its feed again. */
  burst(count: number): void;
}

export interface AlertPushes {
  request(alertId: string): void;
  /** Drop what is gathered (the service is closing). */
  cancel(): void;
}

export function coalescedAlertPushes(targets: AlertPushTargets, burstAbove = BURST_ALERTS): AlertPushes {
  let gathered = new Set<string>();
  let timer: NodeJS.Immediate | null = null;
  const handOver = (): void => {
    const ids = gathered;
    gathered = new Set();
    timer = null;
    if (ids.size > burstAbove) targets.burst(ids.size);
    else for (const id of ids) targets.one(id);
  };
  return {
    request(alertId) {
      gathered.add(alertId);
      timer ??= setImmediate(handOver);
    },
    cancel() {
      if (timer) clearImmediate(timer);
      timer = null;
      gathered = new Set();
    },
  };
}
