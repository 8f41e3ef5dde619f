// The browser host's entry: its own parts (D-Bus or in-page notifications, no secret store, the page
// opens the authorization URL itself) around the composition root, and the loopback host serving the
// renderer. `npm start` uses it when Electron is absent; the Playwright suite starts it the same way.
import { resolve } from 'node:path';
import { startApp } from '../app/compose.ts';
import { LOCAL_DEMO_MODE, type AppMode } from '../app/mode.ts';
import type { Logger } from '../core/log.ts';
import type { HostEvent } from '../shared/api.ts';
import { createDbusNotifier, detectDbusNotifications, type DbusAvailability } from './dbus-notifier.ts';
import { startBrowserHost } from './host.ts';
import { createBrowserNotifier } from './notifier.ts';

/** The rules file beside the sources (the browser host runs from the repository under plain Node). */
export const DEFAULT_RULES_PATH = resolve(import.meta.dirname, '../../resources/rules/critical-values.json');

export interface RunningBrowserHost {
  /** The host's own origin, http://127.0.0.1:PORT (no secret). */
  origin: string;
  /** A launch link that has not been used (works once, within a minute). */
  readonly launchUrl: string;
  /** The 0600 page in the data directory that always carries a fresh launch link: give it to the opener. */
  launchFile: string;
  /** The embedded demo server's FHIR base in local-demo mode; null in servers mode. */
  localDemoFhirBase: string | null;
  close(): Promise<void>;
}

export async function runBrowserHost(options: {
  dataDir: string;
  /** The browser host's own port (the renderer and the API); 0 for ephemeral. */
  port: number;
  logger: Logger;
  /** What to monitor (default: the local demo). */
  mode?: AppMode;
  rendererDir?: string;
  /** The critical-value rules file (default: the repository's resources/rules). */
  rulesPath?: string;
  /** Raise OS notifications over D-Bus when a session bus and notify-send exist (default true). */
  osNotifications?: boolean;
}): Promise<RunningBrowserHost> {
  const dbus: DbusAvailability =
    options.osNotifications === false
      ? { available: false, reason: 'disabled', command: null }
      : detectDbusNotifications();
  if (!dbus.available)
    options.logger.info({ reason: dbus.reason }, 'OS notifications off; in-page notifications only');
  const app = await startApp(
    {
      dataDir: options.dataDir,
      host: { kind: 'browser', version: '0.1.0', osNotifications: dbus.available },
      logger: options.logger,
      rulesPath: options.rulesPath ?? DEFAULT_RULES_PATH,
      createNotifier: (publish) => browserNotifier(publish, dbus, options.logger),
    },
    options.mode ?? LOCAL_DEMO_MODE,
  );
  try {
    const host = await startBrowserHost({
      handlers: app.service.handlers,
      onEvent: app.service.onEvent,
      rendererDir: options.rendererDir ?? resolve('out/renderer'),
      port: options.port,
      logger: options.logger.child({ component: 'browser-host' }),
      stateDir: options.dataDir,
    });
    return {
      origin: host.origin,
      get launchUrl() {
        return host.launchUrl;
      },
      launchFile: host.launchFile,
      localDemoFhirBase: app.localDemoFhirBase,
      async close() {
        try {
          await host.close();
        } finally {
          await app.close();
        }
      },
    };
  } catch (error) {
    // The start failed (no free port): report that, after giving the data directory back.
    await app.close().catch((closeError: unknown) => {
      options.logger.error({ err: String(closeError) }, 'the app did not close after a failed start');
    });
    throw error;
  }
}

/** The page always gets the notification; with D-Bus the host also raises the OS notification. */
function browserNotifier(publish: (event: HostEvent) => void, dbus: DbusAvailability, logger: Logger) {
  if (!dbus.available) return createBrowserNotifier(publish);
  return createBrowserNotifier(publish, {
    // A click on the OS notification opens the alert in the page.
    notifier: createDbusNotifier(dbus, process.env, (alertId) => publish({ type: 'focus-alert', alertId })),
    logger: logger.child({ component: 'dbus' }),
  });
}
