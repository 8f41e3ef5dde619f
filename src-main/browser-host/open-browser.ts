// Opening the browser from `npm start`. The opener is a separate process whose command line any local
// user can read (ps, /proc), so it is only ever given the launch file's path (launch-links.ts), never
// a URL that carries a secret.
import { spawn } from 'node:child_process';

/** The desktop's "open this" command for the platform. */
export function openerCommand(platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' ? 'open' : 'xdg-open';
}

/**
 * Open `target`, a file path (the launch file) or a URL without secrets, in the desktop's browser.
 * Fire and forget: a desktop without an opener just keeps the printed instructions.
 */
export function openInBrowser(target: string, command = openerCommand()): void {
  if (/[?&]launch=/.test(target)) throw new Error('refusing to put a launch secret on a command line');
  spawn(command, [target], { stdio: 'ignore', detached: true })
    .on('error', () => undefined)
    .unref();
}
