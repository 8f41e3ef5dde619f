// Electron entry: the Electron-only parts (window, IPC, app:// protocol, native notifications,
// safeStorage, tray, launch at login) around the composition root (src-main/app/compose.ts), which
// starts everything that does real work, in Electron and in the browser host alike. What runs is the
// deployment configuration's choice (src-main/app/config.ts, docs/deployment.md): the embedded server
// and simulator only when it asks for the local demo, or when there is no configuration at all.
import { join } from 'node:path';
import { app, dialog, ipcMain, screen, session, type BrowserWindow } from 'electron';
import { startApp, type RunningApp } from '../app/compose.ts';
import { ConfigError, loadDeployment } from '../app/config.ts';
import { InstanceLockedError } from '../core/instance-lock.ts';
import { createLogger } from '../core/log.ts';
import { DatabaseFileError } from '../lib/sqlite.ts';
import { IPC_EVENT_CHANNEL } from '../shared/ipc.ts';
import { createLaunchAtLogin } from './autolaunch.ts';
import { registerIpcHandlers } from './ipc.ts';
import { createElectronNotifier } from './notifier.ts';
import { openAuthorizationUrl } from './open-external.ts';
import { registerAppScheme, serveRenderer } from './protocol.ts';
import { createSafeSecretStore } from './secret-store.ts';
import { denyAllPermissions, installSecurityGuards } from './security.ts';
import { createAlertTray, type AlertTray } from './tray.ts';
import { manageWindowState } from './window-state.ts';
import { createMainWindow } from './window.ts';

const APP_ID = 'org.alertmonitor.desktop';
const logger = createLogger('alert-monitor');
const outDir = join(import.meta.dirname, '..');
// Tests and portable setups point the data directory elsewhere.
const dataDir = process.env['ALERT_MONITOR_DATA_DIR'] ?? app.getPath('userData');
app.setPath('userData', dataDir);

registerAppScheme();
installSecurityGuards(app);

let mainWindow: BrowserWindow | null = null;
let running: RunningApp | null = null;
// Module-level so the tray icon is not garbage-collected; with it, closing the window hides to the tray
// (alerts keep arriving) and Quit is explicit.
let tray: AlertTray | null = null;
let quitting = false;

/** The rules file: inside the packaged app's resources (extraResources "rules"), else the repo's. */
function rulesPath(): string {
  return app.isPackaged
    ? join(process.resourcesPath, 'rules', 'critical-values.json')
    : join(app.getAppPath(), 'resources', 'rules', 'critical-values.json');
}

function focusWindow(alertId: string | null) {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
  if (alertId) running?.service.publish({ type: 'focus-alert', alertId });
}

async function start() {
  app.setAppUserModelId(APP_ID);
  denyAllPermissions(session.defaultSession);
  serveRenderer(join(outDir, 'renderer'));
  // A bad configuration stops here with its message (dialog and log below), before anything runs.
  const mode = loadDeployment({ argv: process.argv, env: process.env });
  logger.info(
    { config: mode.source ?? null, mode: mode.kind, workstation: mode.workstation?.kind ?? 'personal' },
    'deployment',
  );
  const secrets = await createSafeSecretStore(join(dataDir, 'secrets.json'));
  if (!secrets.persistent) logger.warn({ reason: secrets.reason }, 'refresh tokens will not be stored');
  running = await startApp(
    {
      dataDir,
      host: { kind: 'electron', version: app.getVersion(), osNotifications: true },
      logger,
      rulesPath: rulesPath(),
      createNotifier: () => createElectronNotifier(focusWindow),
      // Only where refresh tokens are stored encrypted (never with Linux basic_text).
      ...(secrets.persistent ? { secretStore: secrets.store } : {}),
      launchAtLogin: createLaunchAtLogin({ app }),
      openAuthorizationUrl: (url, server) =>
        openAuthorizationUrl(url, server.fhirBase, server.authorizationOrigins ?? []),
    },
    mode,
  );
  const service = running.service;
  registerIpcHandlers(ipcMain, service.handlers);
  mainWindow = createMainWindow(outDir);
  manageWindowState(mainWindow, join(dataDir, 'window-state.json'), screen);
  tray = createAlertTray({ open: () => focusWindow(null), quit: () => app.quit() });
  tray.update(await service.handlers.getAlertingStatus({}));
  service.onEvent((event) => {
    mainWindow?.webContents.send(IPC_EVENT_CHANNEL, event);
    if (event.type === 'alerting') tray?.update(event.status);
  });
  mainWindow.on('close', (event) => {
    if (!quitting && tray) {
      event.preventDefault();
      mainWindow?.hide();
    }
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

/** Close the monitor, the embedded server and the lock before the process ends (WAL checkpoint, no stale lock). */
let cleanedUp = false;
async function cleanUp(): Promise<void> {
  try {
    await running?.close();
  } catch (error) {
    logger.error({ err: String(error) }, 'shutdown was not clean');
  } finally {
    cleanedUp = true;
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => focusWindow(null));
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      // Any failure at start is shown, not just logged: a monitor that silently did not start looks calm.
      const message =
        error instanceof InstanceLockedError ||
        error instanceof ConfigError ||
        error instanceof DatabaseFileError
          ? error.message
          : `Alert Monitor could not start: ${String(error)}`;
      logger.error({ err: String(error) }, 'startup failed');
      dialog.showErrorBox(
        error instanceof ConfigError
          ? 'Alert Monitor — the deployment configuration is invalid'
          : error instanceof DatabaseFileError
            ? 'Alert Monitor — the workstation database cannot be used'
            : 'Alert Monitor',
        message,
      );
      app.quit();
    });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    quitting = true;
    if (cleanedUp) return;
    // Electron does not wait for async work here: hold the quit until the cleanup is done.
    event.preventDefault();
    tray?.destroy();
    tray = null;
    void cleanUp().then(() => app.quit());
  });
}
