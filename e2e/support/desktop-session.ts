// The notification daemon a desktop demo runs beside (demo-process.ts `desktop`), or a desktop session
// of its own that outlives a host (`startDesktopSession`): which of its tools exist here, and what it
// shows and has shown, read with dunstctl on that session bus.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const TOOLS = ['xvfb-run', 'dbus-run-session', 'dunst', 'dunstctl', 'notify-send', 'dbus-send'];

export function missingDesktopTools(): string[] {
  const path = (process.env['PATH'] ?? '').split(delimiter);
  return TOOLS.filter(
    (tool) =>
      !path.some((dir) => {
        try {
          accessSync(join(dir, tool), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
  );
}

function dunstctl(busAddress: string, ...args: string[]): string {
  const run = spawnSync('dunstctl', args, {
    encoding: 'utf8',
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress },
  });
  return run.stdout;
}

export interface DaemonNotification {
  summary: string;
  body: string;
}

/** Notifications on screen now. */
export function displayedCount(busAddress: string): number {
  return Number(dunstctl(busAddress, 'count', 'displayed').trim());
}

/** Notifications closed so far (by the user or withdrawn), newest first. */
export function history(busAddress: string): DaemonNotification[] {
  const parsed = JSON.parse(dunstctl(busAddress, 'history') || '{"data":[[]]}') as {
    data: Array<Array<Record<string, { data: unknown }>>>;
  };
  return (parsed.data[0] ?? []).map((n) => ({
    summary: String(n['summary']?.data ?? ''),
    body: String(n['body']?.data ?? ''),
  }));
}

export interface DesktopSession {
  /** Its session bus: give it to a host as DBUS_SESSION_BUS_ADDRESS. */
  bus: string;
  stop(): Promise<void>;
}

/**
 * An X display, a D-Bus session and dunst on it, in their own process group, for hosts started and
 * stopped inside it (a host restart on the same desktop). Resolves once dunst answers on the bus.
 */
export async function startDesktopSession(): Promise<DesktopSession> {
  // The session lives as long as its shell: not `wait` for dunst, which exits at once when the bus
  // started another dunst first (D-Bus activation on the first call), ending the session with it.
  const script = 'dunst >/dev/null 2>&1 & echo "SESSION BUS: $DBUS_SESSION_BUS_ADDRESS"; exec sleep infinity';
  const child = spawn('xvfb-run', ['-a', 'dbus-run-session', '--', 'sh', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: '' },
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const bus = /SESSION BUS: (\S+)/.exec(output)?.[1];
    const answers =
      bus !== undefined &&
      spawnSync('dunstctl', ['count', 'displayed'], {
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus },
      }).status === 0;
    if (bus && answers) return { bus, stop };
    if (child.exitCode !== null) throw new Error(`desktop session ended early:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`no notification daemon on the desktop session within 30 s:\n${output}`);
}
