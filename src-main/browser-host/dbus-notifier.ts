// OS notifications for the browser host on Linux: raised through org.freedesktop.Notifications on the
// session bus with `notify-send` (Debian package libnotify-bin), the same service Electron's
// Notification uses there. Absence is detected up front (not Linux, no session bus, no notify-send) and
// reported, so the host falls back to the page's banner/Notification API alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AlertNotification, Notifier } from '../core/ports.ts';

export interface DbusAvailability {
  available: boolean;
  /** Why not, for the log and the host info. */
  reason: string | null;
  command: string | null;
}

export function findExecutable(name: string, path = process.env['PATH'] ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function detectDbusNotifications(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): DbusAvailability {
  if (platform !== 'linux') return { available: false, reason: 'not Linux', command: null };
  if (!env['DBUS_SESSION_BUS_ADDRESS'])
    return {
      available: false,
      reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)',
      command: null,
    };
  const command = findExecutable('notify-send', env['PATH'] ?? '');
  if (!command)
    return { available: false, reason: 'notify-send not installed (Debian: libnotify-bin)', command: null };
  return { available: true, reason: null, command };
}

/** Notification servers may render a subset of HTML in the body: lab text must not be markup. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The notify-send arguments for one notification (exported for tests). */
export function notifySendArgs(n: AlertNotification): string[] {
  const critical = n.tier === 'critical';
  return [
    '--app-name=Alert Monitor',
    `--urgency=${critical ? 'critical' : 'normal'}`,
    // Critical: stays until dismissed; with a sound from the freedesktop sound theme.
    ...(critical ? ['--expire-time=0', '--hint=string:sound-name:dialog-warning'] : []),
    '--category=im.received',
    '--icon=dialog-warning',
    // A default action makes a click on the notification report back (notify-send then waits for it).
    ...(n.alertId ? ['--action=default=Open the alert'] : []),
    // Everything after `--` is text, even if a lab value starts with a dash.
    '--',
    n.title,
    escapeMarkup(n.body),
  ];
}

/** How long notify-send may take to fail before a notification counts as raised. */
const RAISE_MS = 400;
/** notify-send processes kept waiting for a click; past this the oldest stops listening. */
const MAX_WAITING = 20;

/**
 * `onOpen` is called with the alert id when the user clicks a notification (its default action). With an
 * action, notify-send stays running until the notification is closed, so each raised notification keeps
 * one small process; at most MAX_WAITING are kept (older ones still show, but no longer report clicks).
 */
export function createDbusNotifier(
  availability: DbusAvailability,
  env: NodeJS.ProcessEnv = process.env,
  onOpen: (alertId: string) => void = () => undefined,
): Notifier {
  const waiting: ChildProcess[] = [];
  return {
    async notify(n: AlertNotification) {
      if (!availability.available || !availability.command)
        throw new Error(`OS notifications unavailable: ${availability.reason ?? 'unknown'}`);
      const child = spawn(availability.command, notifySendArgs(n), {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (n.alertId && /^default$/m.test(stdout)) onOpen(n.alertId);
      });
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', () => {
        const index = waiting.indexOf(child);
        if (index >= 0) waiting.splice(index, 1);
      });
      // Raised when notify-send has not failed within RAISE_MS (with an action it keeps running).
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, RAISE_MS);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(new Error(`notify-send failed: ${error.message}`.slice(0, 300)));
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(`notify-send failed: ${stderr.trim() || `exit ${code}`}`.slice(0, 300)));
        });
      });
      if (child.exitCode === null) {
        waiting.push(child);
        while (waiting.length > MAX_WAITING) waiting.shift()?.kill();
      }
    },
  };
}
