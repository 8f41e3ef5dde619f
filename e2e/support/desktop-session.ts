// The notification daemon a desktop demo runs beside (demo-process.ts `desktop`): which of its tools
// exist here, and what it shows and has shown, read with dunstctl on the demo's own session bus.
import { spawnSync } from 'node:child_process';
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

/** Close what is on screen, as a user dismissing it would; it moves to the history. */
export function dismissAll(busAddress: string): void {
  dunstctl(busAddress, 'close-all');
}
