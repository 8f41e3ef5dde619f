// Final laboratory reports as news, never as alerts (docs/alerting.md, "Later results"). A normal
// repeat of a critical test (an INR of 1.1 after 5.6) raises no critical event, yet the nurse must see
// it on the open alert. The monitor subscribes to final reports: their events are committed with the
// cursor like any other (so nothing is replayed twice), bring no alert row, and only tell the screen
// that the results it shows may have changed. The screen then re-reads the trends it shows, with the
// user's token, instead of re-reading them on a timer.

/** The embedded server's final-report topic (monitor/topics.ts subscribes to it). */
export const RESULT_REPORT_TOPIC =
  'http://alert-monitor.local/fhir/SubscriptionTopic/diagnostic-report-final';

/** Topics whose events say "results changed" and are never alerts. */
export const RESULT_NEWS_TOPICS: ReadonlySet<string> = new Set([RESULT_REPORT_TOPIC]);
