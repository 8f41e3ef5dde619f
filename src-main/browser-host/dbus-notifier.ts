// OS notifications for the browser host on Linux: raised through org.freedesktop.Notifications on the
// session bus with `notify-send` (Debian package libnotify-bin), the same service Electron's
// Notification uses there, and taken back with CloseNotification (`dbus-send`, Debian package dbus)
// using the id the server returned (`notify-send --print-id`). Absence is detected up front (not Linux,
// no session bus, no notify-send) and reported, so the host falls back to the page's Notification API.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AlertNotification, Notifier } from '../core/ports.ts';
import { MAX_FOLLOWED_NOTIFICATIONS } from '../core/store/raised-notifications.ts';
import {
  busId,
  closeEarlier,
  closeNotification,
  notificationsOwner,
  toRef,
  type DaemonIdentity,
} from './dbus-close.ts';

export interface DbusAvailability {
  available: boolean;
  /** Why not, for the log and the host info. */
  reason: string | null;
  command: string | null;
  /** `dbus-send`, to close a notification again; null when absent (withdrawing is then impossible). */
  closeCommand?: string | null;
  /**
   * `stdbuf` (coreutils): notify-send block-buffers its output into a pipe, so with an action (it then
   * keeps running) the printed id would arrive only when it exits; `stdbuf -oL` makes it a line at once.
   */
  lineBuffer?: string | null;
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
  return {
    available: true,
    reason: null,
    command,
    closeCommand: findExecutable('dbus-send', env['PATH'] ?? ''),
    lineBuffer: findExecutable('stdbuf', env['PATH'] ?? ''),
  };
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
    // The server's id for it, on the first line of stdout: CloseNotification needs it to withdraw it.
    '--print-id',
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
/**
 * How long to wait for the daemon's id where it comes as soon as the daemon answers (a line-buffered
 * notify-send, or one without an action, which exits then): on a loaded machine that can take longer
 * than RAISE_MS, and without the id the notification could not be closed again. Only a daemon that
 * does not answer makes the page's toast wait this long (it is shown when the raise is settled).
 */
const ID_MS = 3_000;
/** notify-send processes kept waiting for a click; past this the oldest stops listening. */
const MAX_WAITING = 20;

/** One raised notification: the server's id (once printed) and the notify-send waiting for a click. */
interface Raised {
  id: number | null;
  child: ChildProcess;
}

/** Run notify-send for one notification; resolves once the server gave its id (or the command ended). */
function raise(
  availability: DbusAvailability & { command: string },
  n: AlertNotification,
  env: NodeJS.ProcessEnv,
  onOpen: (alertId: string) => void,
): Promise<Raised> {
  const { command, lineBuffer } = availability;
  const child = lineBuffer
    ? spawn(lineBuffer, ['-oL', command, ...notifySendArgs(n)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(command, notifySendArgs(n), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const raised: Raised = { id: null, child };
  let stdout = '';
  let stderr = '';
  return new Promise<Raised>((resolve, reject) => {
    // Without an id line (an old notify-send, or one that holds its output until it exits), raised
    // when it has not failed within RAISE_MS.
    const idComesAtOnce = Boolean(lineBuffer) || !n.alertId;
    const timer = setTimeout(() => resolve(raised), idComesAtOnce ? ID_MS : RAISE_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const id = /^(\d+)$/m.exec(stdout)?.[1];
      if (raised.id === null && id !== undefined) {
        raised.id = Number(id);
        clearTimeout(timer);
        resolve(raised);
      }
      if (n.alertId && /^default$/m.test(stdout)) onOpen(n.alertId);
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`notify-send failed: ${error.message}`.slice(0, 300)));
    });
    // Once its output is read to the end (an exit can be seen before the id line is), so a notify-send
    // that printed the id and exited is never taken for one that printed none.
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(raised);
      else reject(new Error(`notify-send failed: ${stderr.trim() || `exit ${code}`}`.slice(0, 300)));
    });
  });
}

/**
 * `onOpen` is called with the alert id when the user clicks a notification (its default action). With an
 * action, notify-send stays running until the notification is closed, so each raised notification keeps
 * one small process; at most MAX_WAITING are kept (older ones still show, but no longer report clicks).
 * `withdraw` closes every notification raised for an alert (its first one and its escalations);
 * `withdrawGroup` closes one raised for several alerts (it has no action: nothing to open but the app).
 * `notify` resolves with a ref that `withdrawEarlier` closes it by in a later run (dbus-close.ts).
 */
export function createDbusNotifier(
  availability: DbusAvailability,
  env: NodeJS.ProcessEnv = process.env,
  onOpen: (alertId: string) => void = () => undefined,
): Notifier {
  const waiting: ChildProcess[] = [];
  // Raised notifications by what withdraws them: an alert's id, or a combined notification's group id.
  const byKey = new Map<string, Raised[]>();
  const groups: string[] = [];
  const forget = (key: string, raised: Raised) => {
    const rest = (byKey.get(key) ?? []).filter((r) => r !== raised);
    if (rest.length > 0) byKey.set(key, rest);
    else byKey.delete(key);
  };
  const remember = (n: AlertNotification, raised: Raised) => {
    if (n.alertId) {
      const alertId = n.alertId;
      byKey.set(alertId, [...(byKey.get(alertId) ?? []), raised]);
      // Closed by the user or the server: nothing left to withdraw. (Without an action notify-send
      // exits at once; its notification stays open and keeps its id.)
      if (raised.child.exitCode === null) raised.child.once('exit', () => forget(alertId, raised));
    } else if (n.groupId) {
      // No action, so notify-send exits once it printed the id: the notification stays until closed.
      byKey.set(n.groupId, [raised]);
      groups.push(n.groupId);
      // As many as the core follows (store/raised-notifications.ts); past that the oldest is not withdrawn.
      while (groups.length > MAX_FOLLOWED_NOTIFICATIONS) byKey.delete(groups.shift() ?? '');
    }
  };
  // The session bus's id, asked once: a bus that changed under this run makes every ref taken since
  // name the old bus, so they are never closed on the new one.
  let bus: Promise<string> | null = null;
  /** The daemon that owns org.freedesktop.Notifications now; null when it cannot be told. */
  const daemon = async (): Promise<DaemonIdentity | null> => {
    const closeCommand = availability.closeCommand;
    if (!closeCommand) return null;
    try {
      bus ??= busId(closeCommand, env);
      return { bus: await bus, owner: await notificationsOwner(closeCommand, env) };
    } catch {
      bus = null;
      return null;
    }
  };
  const closeAll = async (key: string) => {
    const raised = byKey.get(key) ?? [];
    byKey.delete(key);
    const closeCommand = availability.closeCommand;
    if (raised.length === 0) return;
    if (!closeCommand) throw new Error('cannot withdraw: dbus-send not installed (Debian: dbus)');
    for (const r of raised) if (r.id !== null) await closeNotification(closeCommand, r.id, env);
  };
  return {
    async notify(n: AlertNotification) {
      const { command } = availability;
      if (!availability.available || !command)
        throw new Error(`OS notifications unavailable: ${availability.reason ?? 'unknown'}`);
      // Which daemon raises it, asked before and after: a ref only when the same one answered both.
      const before = await daemon();
      const raised = await raise({ ...availability, command }, n, env, onOpen);
      const { child } = raised;
      remember(n, raised);
      const after = before && raised.id !== null ? await daemon() : null;
      child.once('exit', () => {
        const index = waiting.indexOf(child);
        if (index >= 0) waiting.splice(index, 1);
      });
      if (child.exitCode === null) {
        waiting.push(child);
        while (waiting.length > MAX_WAITING) waiting.shift()?.kill();
      }
      if (before && after && raised.id !== null && before.bus === after.bus && before.owner === after.owner)
        return toRef(after, raised.id);
    },
    withdraw: closeAll,
    async withdrawGroup(groupId: string) {
      const index = groups.indexOf(groupId);
      if (index >= 0) groups.splice(index, 1);
      await closeAll(groupId);
    },
    async withdrawEarlier(notifications) {
      const closeCommand = availability.closeCommand;
      const refs = notifications.flatMap((n) => (n.osRef ? [n.osRef] : []));
      if (closeCommand && refs.length > 0) await closeEarlier(closeCommand, refs, env);
    },
  };
}
