// Launch at login, off by default and user-toggled through the API. macOS and Windows
// use Electron's login items; Linux (where setLoginItemSettings does nothing) gets an XDG autostart
// entry, ~/.config/autostart/<id>.desktop.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'electron';

export interface LaunchAtLoginControl {
  get(): Promise<boolean>;
  set(enabled: boolean): Promise<boolean>;
}

export interface LaunchAtLoginOptions {
  app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>;
  platform?: NodeJS.Platform;
  /** Command that starts the app (AppImage path when packaged as one, else the executable). */
  exec?: string;
  appId?: string;
  env?: NodeJS.ProcessEnv;
}

export function autostartFile(env: NodeJS.ProcessEnv, appId: string): string {
  const config = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(config, 'autostart', `${appId}.desktop`);
}

/** Desktop Entry quoting: the Exec value is quoted when it holds spaces or specials. */
export function desktopEntry(exec: string): string {
  const quoted = /[\s"'\\$`]/.test(exec) ? `"${exec.replace(/(["`$\\])/g, '\\$1')}"` : exec;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Alert Monitor',
    'Comment=Clinical alert monitor (secondary notifier for critical results)',
    `Exec=${quoted}`,
    'X-GNOME-Autostart-enabled=true',
    'Terminal=false',
    '',
  ].join('\n');
}

export function createLaunchAtLogin(options: LaunchAtLoginOptions): LaunchAtLoginControl {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const appId = options.appId ?? 'alert-monitor';
  const exec = options.exec ?? env['APPIMAGE'] ?? process.execPath;

  if (platform === 'darwin' || platform === 'win32') {
    return {
      get: async () => options.app.getLoginItemSettings().openAtLogin,
      async set(enabled) {
        options.app.setLoginItemSettings({ openAtLogin: enabled });
        return options.app.getLoginItemSettings().openAtLogin;
      },
    };
  }
  const file = autostartFile(env, appId);
  return {
    get: async () =>
      existsSync(file) && readFileSync(file, 'utf8').includes('X-GNOME-Autostart-enabled=true'),
    async set(enabled) {
      if (enabled) {
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, desktopEntry(exec), { mode: 0o644 });
      } else rmSync(file, { force: true });
      return existsSync(file);
    },
  };
}
