// The Electron shell against a fake `electron` module (named test double: no Electron runtime here).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { IpcMain, WebFrameMain } from 'electron';
import { arrivedTogetherNotification } from '../../../src-main/core/alerting/notification-text.ts';
import { created, FakeIpcMain, fakeElectronModule, FakeNotification } from './fake-electron.ts';

vi.mock('electron', () => fakeElectronModule);

const { createMainWindow, secureWebPreferences } = await import('../../../src-main/shell/window.ts');
const { registerIpcHandlers, isTrustedSender } = await import('../../../src-main/shell/ipc.ts');
const { createElectronNotifier } = await import('../../../src-main/shell/notifier.ts');
const { resolveAppPath } = await import('../../../src-main/shell/protocol.ts');
const { isAppUrl } = await import('../../../src-main/shell/security.ts');
const { API_METHODS, ipcChannel } = await import('../../../src-main/shared/ipc.ts');
const { ApiRefusedError } = await import('../../../src-main/shared/api.ts');

beforeEach(() => {
  created.windows.length = 0;
  created.notifications.length = 0;
  FakeNotification.supported = true;
});

const frame = (url: string, parent: unknown = null) => ({ url, parent }) as unknown as WebFrameMain;

describe('main window', () => {
  it('keeps isolation, sandbox and web security on and Node out of the page', () => {
    const window = createMainWindow('/app/out');
    const prefs = created.windows[0]?.options.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/out/preload/index.cjs',
    });
    expect(secureWebPreferences('/p')).toMatchObject({ sandbox: true, contextIsolation: true });
    expect((window as unknown as { loadedUrl: string }).loadedUrl).toBe('app://monitor/index.html');
  });
});

describe('IPC handlers', () => {
  const received: unknown[] = [];
  const handlers = new Proxy(
    {},
    {
      get: () => async (args: unknown) => {
        received.push(args);
        return 'ok';
      },
    },
  );

  it('accept only the app window main frame and validate every argument', async () => {
    const ipc = new FakeIpcMain();
    registerIpcHandlers(ipc as unknown as IpcMain, handlers as never);
    const invoke = (method: 'getResource' | 'listAlerts', senderFrame: WebFrameMain, arg: unknown) =>
      ipc.handlers.get(ipcChannel(method))?.({ senderFrame }, arg);

    await expect(
      invoke('getResource', frame('https://evil.example/'), { reference: 'Patient/1' }),
    ).rejects.toThrow(/refused/);
    await expect(
      invoke('getResource', frame('app://monitor/index.html', frame('app://monitor/')), {
        reference: 'Patient/1',
      }),
    ).rejects.toThrow(/refused/);
    await expect(
      invoke('getResource', frame('app://monitor/index.html'), { reference: 'http://x/Patient/1' }),
    ).rejects.toThrow(/invalid reference/);
    await expect(invoke('listAlerts', frame('app://monitor/index.html'), { limit: 10_000 })).rejects.toThrow(
      /invalid limit/,
    );
    expect(received).toEqual([]);
    await expect(invoke('listAlerts', frame('app://monitor/index.html'), { limit: 3 })).resolves.toBe('ok');
    expect(received).toEqual([{ limit: 3 }]);
  });

  it('marks a refusal by the access rules in the message, the one part of an error IPC carries', async () => {
    const ipc = new FakeIpcMain();
    const refusing = new Proxy(
      {},
      {
        get: () => async () => {
          throw new ApiRefusedError(
            'not-permitted',
            'Not permitted: the server does not let you see this record.',
          );
        },
      },
    );
    registerIpcHandlers(ipc as unknown as IpcMain, refusing as never);
    const answer = ipc.handlers.get(ipcChannel('acknowledge'))?.(
      { senderFrame: frame('app://monitor/index.html') },
      { alertId: 'a-1' },
    );
    await expect(answer).rejects.toThrow(
      /^\[refused:not-permitted\] Not permitted: the server does not let you see this record\.$/,
    );
  });

  it('registers a handler for every API method and nothing else', () => {
    const ipc = new FakeIpcMain();
    const unregister = registerIpcHandlers(ipc as unknown as IpcMain, handlers as never);
    expect([...ipc.handlers.keys()].every((c) => c.startsWith('monitor:call:'))).toBe(true);
    expect([...ipc.handlers.keys()].sort()).toEqual(API_METHODS.map((m) => ipcChannel(m)).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it('trusts no frame without a URL on app://monitor', () => {
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(frame('file:///etc/passwd'))).toBe(false);
    expect(isTrustedSender(frame('app://monitor.evil/index.html'))).toBe(false);
    expect(isTrustedSender(frame('app://monitor/x'))).toBe(true);
  });
});

describe('notifier', () => {
  it('raises a critical, non-expiring OS notification and focuses the alert on click', async () => {
    const clicked: Array<string | null> = [];
    const notifier = createElectronNotifier((id) => clicked.push(id));
    await notifier.notify({
      alertId: 'a1',
      tier: 'critical',
      title: 'CRITICAL: Potassium 6.8 mmol/L',
      body: 'Bed 12',
    });
    const shown = created.notifications[0];
    expect(shown?.shown).toBe(true);
    expect(shown?.options).toMatchObject({
      title: 'CRITICAL: Potassium 6.8 mmol/L',
      urgency: 'critical',
      timeoutType: 'never',
    });
    shown?.emit('click');
    expect(clicked).toEqual(['a1']);
  });

  it('withdraws every notification of an acknowledged alert, and only those', async () => {
    const notifier = createElectronNotifier(() => undefined);
    const first = created.notifications.length;
    await notifier.notify({ alertId: 'a1', tier: 'critical', title: 'first', body: 'b' });
    await notifier.notify({ alertId: 'a2', tier: 'critical', title: 'other', body: 'b' });
    await notifier.notify({
      alertId: 'a1',
      tier: 'critical',
      title: 'escalation',
      body: 'b',
      kind: 'escalation',
    });
    await notifier.withdraw?.('a1');
    const shown = created.notifications.slice(first);
    expect(shown.map((n) => [n.options['title'], n.closed])).toEqual([
      ['first', true],
      ['other', false],
      ['escalation', true],
    ]);
  });

  it('withdraws a notification for several alerts by its group, and nothing else', async () => {
    const notifier = createElectronNotifier(() => undefined);
    const first = created.notifications.length;
    await notifier.notify({ alertId: 'a1', tier: 'critical', title: 'one', body: 'b' });
    await notifier.notify({
      ...arrivedTogetherNotification(6, ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']),
      groupId: 'group-1',
    });
    await notifier.withdraw?.('a1');
    const shown = created.notifications.slice(first);
    expect(shown.map((n) => n.closed)).toEqual([true, false]);
    await notifier.withdrawGroup?.('group-1');
    expect(shown.map((n) => n.closed)).toEqual([true, true]);
  });

  it('fails loudly where the OS has no notification service', async () => {
    FakeNotification.supported = false;
    const notifier = createElectronNotifier(() => undefined);
    await expect(notifier.notify({ alertId: null, tier: 'critical', title: 't', body: 'b' })).rejects.toThrow(
      /not supported/,
    );
  });
});

describe('app:// protocol and navigation', () => {
  it('serves only files inside the renderer directory', () => {
    expect(resolveAppPath('/r', 'app://monitor/index.html')).toBe('/r/index.html');
    expect(resolveAppPath('/r', 'app://monitor/assets/a.js')).toBe('/r/assets/a.js');
    expect(resolveAppPath('/r', 'app://monitor/..%2F..%2Fetc%2Fpasswd')).toBeNull();
    expect(resolveAppPath('/r', 'app://other/index.html')).toBeNull();
  });

  it('allows navigation only within app://monitor', () => {
    expect(isAppUrl('app://monitor/index.html')).toBe(true);
    expect(isAppUrl('https://example.org/')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});
