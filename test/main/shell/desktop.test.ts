// Desktop integration of the Electron shell: notification glue, tray count, window state and
// launch at login, against the fake `electron` module (a named test double: no Electron runtime here).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindow, Screen } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  created,
  fakeApp,
  FakeBrowserWindow,
  fakeElectronModule,
  FakeNotification,
} from './fake-electron.ts';

vi.mock('electron', () => fakeElectronModule);

const { createElectronNotifier } = await import('../../../src-main/shell/notifier.ts');
const { createAlertTray, trayLabel } = await import('../../../src-main/shell/tray.ts');
const { clampToDisplays, loadWindowState, manageWindowState, saveWindowState } =
  await import('../../../src-main/shell/window-state.ts');
const { createLaunchAtLogin, desktopEntry, autostartFile } =
  await import('../../../src-main/shell/autolaunch.ts');

beforeEach(() => {
  created.windows.length = 0;
  created.notifications.length = 0;
  created.trays.length = 0;
  FakeNotification.supported = true;
  fakeApp.badgeCount = 0;
  fakeApp.loginItem.openAtLogin = false;
});

describe('notification glue', () => {
  it('critical: critical urgency, never expires, with sound; click focuses that alert', async () => {
    const clicked: Array<string | null> = [];
    await createElectronNotifier((id) => clicked.push(id)).notify({
      alertId: 'a1',
      tier: 'critical',
      title: 'CRITICAL: Potassium 6.8 mmol/L',
      body: 'K 6.8 mmol/L > 6.2 — Ward A bed 12',
    });
    const shown = created.notifications[0];
    expect(shown?.shown).toBe(true);
    expect(shown?.options).toMatchObject({
      body: 'K 6.8 mmol/L > 6.2 — Ward A bed 12',
      urgency: 'critical',
      timeoutType: 'never',
      silent: false,
    });
    shown?.emit('click');
    expect(clicked).toEqual(['a1']);
  });

  it('high: normal urgency and silent', async () => {
    await createElectronNotifier(() => undefined).notify({
      alertId: 'a2',
      tier: 'high',
      title: 't',
      body: 'b',
    });
    expect(created.notifications[0]?.options).toMatchObject({ urgency: 'normal', silent: true });
  });
});

describe('tray', () => {
  it('shows the unacknowledged-critical count in tooltip, menu, icon and badge; menu opens and quits', () => {
    const calls: string[] = [];
    const tray = createAlertTray({ open: () => calls.push('open'), quit: () => calls.push('quit') });
    const fake = created.trays[0];
    const idleIcon = fake?.image;
    expect(fake?.tooltip).toBe('Alert Monitor — No unacknowledged critical results');
    tray.update({ unacknowledgedCritical: 3, escalated: 1 });
    expect(fake?.tooltip).toBe('Alert Monitor — 3 unacknowledged critical (1 escalated)');
    expect(fake?.menu[0]).toMatchObject({ label: '3 unacknowledged critical (1 escalated)', enabled: false });
    expect(fake?.image).not.toEqual(idleIcon);
    expect(fake?.title).toBe('3');
    expect(fakeApp.badgeCount).toBe(3);
    fake?.menu.find((m) => m.label === 'Open Alert Monitor')?.click?.();
    fake?.menu.find((m) => m.label === 'Quit')?.click?.();
    fake?.emit('click');
    expect(calls).toEqual(['open', 'quit', 'open']);
    tray.update({ unacknowledgedCritical: 0, escalated: 0 });
    expect(fake?.image).toEqual(idleIcon);
    expect(fakeApp.badgeCount).toBe(0);
    expect(trayLabel({ unacknowledgedCritical: 1, escalated: 0 })).toBe('1 unacknowledged critical');
  });
});

describe('window state', () => {
  const primary = { x: 0, y: 0, width: 1920, height: 1040 };
  const right = { x: 1920, y: 0, width: 1280, height: 1000 };

  it.each([
    ['no saved state: default size, centred', null, [primary], { x: 320, y: 110, width: 1280, height: 820 }],
    [
      'saved on an attached display: kept',
      { x: 2000, y: 50, width: 1000, height: 700, maximized: false },
      [primary, right],
      { x: 2000, y: 50, width: 1000, height: 700 },
    ],
    [
      'saved on an unplugged display: back on the primary',
      { x: 2000, y: 50, width: 1000, height: 700, maximized: false },
      [primary],
      { x: 460, y: 170, width: 1000, height: 700 },
    ],
    [
      'partly off-screen: moved inside',
      { x: 1700, y: -300, width: 1000, height: 700, maximized: false },
      [primary],
      { x: 920, y: 0, width: 1000, height: 700 },
    ],
    [
      'larger than the display: capped',
      { x: 0, y: 0, width: 4000, height: 3000, maximized: false },
      [primary],
      { x: 0, y: 0, width: 1920, height: 1040 },
    ],
  ])('%s', (_name, saved, displays, expected) => {
    expect(clampToDisplays(saved, displays, primary)).toEqual(expected);
  });

  it('restores, saves on close, and ignores a corrupt file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'window-'));
    const file = join(dir, 'window-state.json');
    saveWindowState(file, { x: 100, y: 80, width: 900, height: 700, maximized: true });
    const window = new FakeBrowserWindow({});
    const screen = {
      getAllDisplays: () => [{ workArea: primary }],
      getPrimaryDisplay: () => ({ workArea: primary }),
    } as unknown as Screen;
    manageWindowState(window as unknown as BrowserWindow, file, screen);
    expect(window.bounds).toEqual({ x: 100, y: 80, width: 900, height: 700 });
    expect(window.maximized).toBe(true);
    window.setBounds({ x: 10, y: 20, width: 1000, height: 600 });
    window.maximized = false;
    window.emit('close');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      x: 10,
      y: 20,
      width: 1000,
      height: 600,
      maximized: false,
    });
    writeFileSync(file, '{"x": "nope"');
    expect(loadWindowState(file)).toBeNull();
  });
});

describe('launch at login', () => {
  it('is off by default and toggles an XDG autostart entry on Linux', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autostart-'));
    const env = { XDG_CONFIG_HOME: dir };
    const control = createLaunchAtLogin({
      app: fakeApp as never,
      platform: 'linux',
      env,
      exec: '/opt/Alert Monitor/alert-monitor',
    });
    expect(await control.get()).toBe(false);
    expect(await control.set(true)).toBe(true);
    const file = autostartFile(env, 'alert-monitor');
    expect(file).toBe(join(dir, 'autostart', 'alert-monitor.desktop'));
    expect(readFileSync(file, 'utf8')).toContain('Exec="/opt/Alert Monitor/alert-monitor"');
    expect(await control.get()).toBe(true);
    expect(await control.set(false)).toBe(false);
    expect(await control.get()).toBe(false);
    expect(desktopEntry('/usr/bin/am')).toContain('Exec=/usr/bin/am\n');
  });

  it('uses Electron login items on macOS and Windows', async () => {
    const control = createLaunchAtLogin({ app: fakeApp as never, platform: 'win32' });
    expect(await control.get()).toBe(false);
    expect(await control.set(true)).toBe(true);
    expect(fakeApp.loginItem.openAtLogin).toBe(true);
  });
});
