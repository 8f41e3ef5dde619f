// Runs inside `xvfb-run dbus-run-session` beside a real dunst: detect the session bus and notify-send,
// then raise one critical notification through the browser host's D-Bus notifier.
import { createDbusNotifier, detectDbusNotifications } from '../../../src-main/browser-host/dbus-notifier.ts';

const availability = detectDbusNotifications();
if (!availability.available) {
  process.stdout.write(`unavailable: ${availability.reason ?? ''}\n`);
  process.exit(2);
}
await createDbusNotifier(availability).notify({
  alertId: 'a1',
  tier: 'critical',
  title: 'CRITICAL: Potassium 6.8 mmol/L',
  body: 'K 6.8 mmol/L > 6.2 — Ward A bed 1 — <b>Ada</b>',
  kind: 'alert',
});
process.stdout.write('sent\n');
