// Closing a notification the browser host raised over D-Bus (CloseNotification with the id
// `notify-send --print-id` returned), in this run or the next one (the core keeps the ref:
// core/store/raised-notifications.ts). The daemon's id alone would not do for the next run: ids restart
// with the daemon, and closing id 7 of a restarted daemon would close somebody else's notification. So
// the ref also names the session bus (`GetId`: a new login's bus differs even at the same address) and
// the daemon's unique connection name (`GetNameOwner`: never reused on one bus), and CloseNotification
// is sent to that unique name: once that daemon is gone nothing is closed.
import { spawn } from 'node:child_process';

/** Which notification daemon answered: the bus and the daemon's unique name on it. */
export interface DaemonIdentity {
  bus: string;
  owner: string;
}

interface DbusRef extends DaemonIdentity {
  id: number;
}

/**
 * The CloseNotification call for one notification id (exported for tests): to whoever owns
 * org.freedesktop.Notifications now, or to one daemon by its unique name (`:1.42`).
 */
export function closeNotificationArgs(id: number, daemon = 'org.freedesktop.Notifications'): string[] {
  return [
    '--session',
    '--print-reply',
    `--dest=${daemon}`,
    '/org/freedesktop/Notifications',
    'org.freedesktop.Notifications.CloseNotification',
    `uint32:${id}`,
  ];
}

/** A `dbus-send` call to the bus itself (exported for tests). */
export function busCallArgs(method: 'GetId' | 'GetNameOwner'): string[] {
  return [
    '--session',
    '--print-reply',
    '--dest=org.freedesktop.DBus',
    '/org/freedesktop/DBus',
    `org.freedesktop.DBus.${method}`,
    ...(method === 'GetNameOwner' ? ['string:org.freedesktop.Notifications'] : []),
  ];
}

/** The one string a `dbus-send --print-reply` printed (`   string "…"`), or null. */
export function parseBusString(stdout: string): string | null {
  return /^\s*string "([^"]+)"\s*$/m.exec(stdout)?.[1] ?? null;
}

/** Run dbus-send; its stdout, or an error named by `what` with what it printed on stderr. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, what = 'dbus-send'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => reject(new Error(`${what} failed: ${error.message}`.slice(0, 300))));
    // 'close', not 'exit': the process may have exited before the last of its output is read (on a
    // loaded machine it often has), and an answer read to its exit alone would be cut short.
    child.once('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${what} failed: ${stderr.trim()}`.slice(0, 300))),
    );
  });
}

async function busString(command: string, method: 'GetId' | 'GetNameOwner', env: NodeJS.ProcessEnv) {
  const answer = parseBusString(await run(command, busCallArgs(method), env));
  if (answer === null) throw new Error(`dbus-send ${method}: no answer`);
  return answer;
}

/** CloseNotification for one id; resolves when the daemon answered. */
export async function closeNotification(
  command: string,
  id: number,
  env: NodeJS.ProcessEnv,
  daemon?: string,
): Promise<void> {
  await run(command, closeNotificationArgs(id, daemon), env, 'CloseNotification');
}

/** The session bus's id. */
export const busId = (command: string, env: NodeJS.ProcessEnv): Promise<string> =>
  busString(command, 'GetId', env);

/** The unique name of the daemon that owns org.freedesktop.Notifications now. */
export const notificationsOwner = (command: string, env: NodeJS.ProcessEnv): Promise<string> =>
  busString(command, 'GetNameOwner', env);

export const toRef = (identity: DaemonIdentity, id: number): string =>
  JSON.stringify({ bus: identity.bus, owner: identity.owner, id });

/** A ref this module wrote, or null for anything else. */
export function parseRef(ref: string): DbusRef | null {
  try {
    const value: unknown = JSON.parse(ref);
    if (typeof value !== 'object' || value === null) return null;
    const { bus, owner, id } = value as Record<string, unknown>;
    if (typeof bus !== 'string' || typeof owner !== 'string' || !owner.startsWith(':')) return null;
    if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) return null;
    return { bus, owner, id };
  } catch {
    return null;
  }
}

/**
 * Close what an earlier run raised, on this bus and only at the daemon that raised it. A notification
 * the user dismissed, or whose daemon is gone, is skipped. Returns how many CloseNotification calls the
 * daemon answered.
 */
export async function closeEarlier(command: string, refs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = refs.map(parseRef).filter((ref) => ref !== null);
  if (parsed.length === 0) return 0;
  const bus = await busId(command, env);
  let closed = 0;
  for (const ref of parsed) {
    if (ref.bus !== bus) continue;
    try {
      await closeNotification(command, ref.id, env, ref.owner);
      closed += 1;
    } catch {
      // Dismissed already, or its daemon is gone (a new one has another unique name): nothing to close.
    }
  }
  return closed;
}
