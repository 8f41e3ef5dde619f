// Runs inside `xvfb-run dbus-run-session` beside a real dunst: detect the session bus and notify-send,
// then raise one critical notification through the browser host's D-Bus notifier. With `click`, wait
// for the notification's default action and report the alert it opens. With `withdraw`, raise a second
// one for another alert and then withdraw the first (what acknowledging it does). With `group`, raise a
// notification for six alerts beside it and withdraw that one by its group (the last of six acknowledged).
// With `ref`, print the ref the notifier gave for it (`ref <ref>`); with `earlier <ref>`, raise nothing
// and take back, as a later run of the host, the notification that ref names. With `late-output`, the
// notifier runs notify-send and dbus-send through late-output.sh (the real tools, their output
// delivered after they exited, as a loaded machine may schedule it); with `slow-daemon`, notify-send
// through gated.sh (a daemon that answers only when the test lets it).
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDbusNotifier,
  detectDbusNotifications,
  type DbusAvailability,
} from '../../../src-main/browser-host/dbus-notifier.ts';
import { arrivedTogetherNotification } from '../../../src-main/core/alerting/notification-text.ts';

const detected = detectDbusNotifications();
if (!detected.available) {
  process.stdout.write(`unavailable: ${detected.reason ?? ''}\n`);
  process.exit(2);
}

/** A fault-injection wrapper (a script here) under the name of the real tool it runs. */
function wrapped(script: string, tool: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-wrapper-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, tool);
  copyFileSync(join(import.meta.dirname, script), path);
  chmodSync(path, 0o755);
  return path;
}

/** The tools the notifier runs: the real ones, or wrappers (no stdbuf: a wrapper holds the output). */
function tools(real: DbusAvailability): DbusAvailability {
  if (process.argv.includes('late-output'))
    return {
      ...real,
      command: wrapped('late-output.sh', 'notify-send'),
      closeCommand: wrapped('late-output.sh', 'dbus-send'),
      lineBuffer: null,
    };
  if (process.argv.includes('slow-daemon'))
    return { ...real, command: wrapped('gated.sh', 'notify-send'), lineBuffer: null };
  return real;
}

const availability = tools(detected);
/** A notification for six alerts: no action, so notify-send exits once it printed the id. */
const SIX_TOGETHER = {
  ...arrivedTogetherNotification(6, ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']),
  groupId: 'group-1',
};
if (process.argv.includes('slow-daemon') || process.argv.includes('late-output')) {
  // Through a daemon that has not answered it counts as raised once the wait for its id is over,
  // without a ref (the daemon shows it when it answers); with late output the ref is still given, and
  // closes it as a later run of the host would.
  const osRef = await createDbusNotifier(availability, process.env).notify(SIX_TOGETHER);
  if (process.argv.includes('slow-daemon')) {
    process.stdout.write(`sent ref ${osRef ?? 'none'}\n`);
    process.exit(0);
  }
  process.stdout.write(`ref ${osRef ?? 'none'}\n`);
  const later = createDbusNotifier(availability, process.env);
  if (osRef) await later.withdrawEarlier?.([{ key: 'group-1', kind: 'group', osRef }]);
  process.stdout.write('withdrawn earlier\n');
  process.exit(0);
}
const earlierRef = process.argv[process.argv.indexOf('earlier') + 1];
if (process.argv.includes('earlier') && earlierRef) {
  const notifier = createDbusNotifier(availability, process.env);
  await notifier.withdrawEarlier?.([{ key: 'a1', kind: 'alert', osRef: earlierRef }]);
  process.stdout.write('withdrawn earlier\n');
  process.exit(0);
}
const printRef = process.argv.includes('ref');
const waitForClick = process.argv.includes('click');
const withdrawFirst = process.argv.includes('withdraw');
const withdrawGroup = process.argv.includes('group');
let onOpen: (alertId: string) => void = () => undefined;
const opened = new Promise<string>((resolve) => (onOpen = resolve));
const notifier = createDbusNotifier(availability, process.env, (alertId) => onOpen(alertId));
// 'sent' once the notifier counts the notification as raised; printed before anything else ends the run.
const sent = notifier
  .notify({
    alertId: 'a1',
    tier: 'critical',
    title: 'CRITICAL: Potassium 6.8 mmol/L',
    body: 'K 6.8 mmol/L > 6.2 — Ward A bed 1 — <b>Ada</b>',
    kind: 'alert',
  })
  .then((osRef) => process.stdout.write(printRef ? `sent\nref ${osRef ?? 'none'}\n` : 'sent\n'));
if (withdrawFirst) {
  await sent;
  await notifier.notify({ alertId: 'a2', tier: 'critical', title: 'CRITICAL: Sodium 118 mmol/L', body: 'x' });
  await notifier.withdraw?.('a1');
  process.stdout.write('withdrawn a1\n');
} else if (withdrawGroup) {
  await sent;
  await notifier.notify(SIX_TOGETHER);
  await notifier.withdrawGroup?.('group-1');
  process.stdout.write('withdrawn group-1\n');
} else if (waitForClick) {
  // The parent clicks once the daemon shows the notification; the deadline only bounds a broken run.
  const alertId = await Promise.race([
    opened,
    new Promise<string>((r) => setTimeout(() => r('none'), 30_000)),
  ]);
  await sent;
  process.stdout.write(`opened ${alertId}\n`);
} else {
  await sent;
}
// The notify-send child that listens for clicks would keep this process alive.
process.exit(0);
