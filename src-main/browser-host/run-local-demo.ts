// Composition root of the browser host in local mode: embedded server + simulator, the monitor
// service, and the loopback host serving the renderer. `npm start` uses it when Electron is absent;
// the Playwright suite starts it the same way.
import { resolve } from 'node:path';
import { acquireInstanceLock } from '../core/instance-lock.ts';
import type { Logger } from '../core/log.ts';
import { createMonitorService } from '../core/service.ts';
import { topicsForRole } from '../core/monitor/topics.ts';
import { startLocalDemo } from '../local/local-demo.ts';
import { startBrowserHost } from './host.ts';
import { createBrowserNotifier } from './notifier.ts';
import { createDbusNotifier, detectDbusNotifications } from './dbus-notifier.ts';
import { createRulesHolder } from '../core/rules/rules-holder.ts';

/** The rules file beside the sources (the browser host runs from the repository under plain Node). */
export const DEFAULT_RULES_PATH = resolve(import.meta.dirname, '../../resources/rules/critical-values.json');

export interface LocalDemoHost {
  launchUrl: string;
  fhirBase: string;
  close(): Promise<void>;
}

export async function runLocalDemoInBrowserHost(options: {
  dataDir: string;
  port: number;
  logger: Logger;
  rendererDir?: string;
  accessTokenTtlSeconds?: number;
  simulationRate?: number;
  /** The critical-value rules file (default: the repository's resources/rules). */
  rulesPath?: string;
  /** Raise OS notifications over D-Bus when a session bus and notify-send exist (default true). */
  osNotifications?: boolean;
}): Promise<LocalDemoHost> {
  const releaseLock = acquireInstanceLock(options.dataDir);
  try {
    // A bad rules file stops the start with its message: a monitor without rules must not look alive.
    const rules = createRulesHolder(options.rulesPath ?? DEFAULT_RULES_PATH);
    const dbus =
      options.osNotifications === false
        ? { available: false, reason: 'disabled', command: null }
        : detectDbusNotifications();
    if (!dbus.available)
      options.logger.info({ reason: dbus.reason }, 'OS notifications off; in-page notifications only');
    const demo = await startLocalDemo({
      dataDir: options.dataDir,
      logger: options.logger,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      simulationRate: options.simulationRate,
    });
    const service = createMonitorService({
      dataDir: options.dataDir,
      host: { kind: 'browser', version: '0.1.0', osNotifications: dbus.available },
      notifier: createBrowserNotifier(
        (event) => service.publish(event),
        dbus.available
          ? {
              // A click on the OS notification opens the alert in the page.
              notifier: createDbusNotifier(dbus, process.env, (alertId) =>
                service.publish({ type: 'focus-alert', alertId }),
              ),
              logger: options.logger.child({ component: 'dbus' }),
            }
          : undefined,
      ),
      rules,
      logger: options.logger.child({ component: 'monitor' }),
      defaultServer: demo.choice,
      signIn: (server, context) => demo.signIn(server, context),
      topicsFor: (_session, server) => topicsForRole(server.role),
      onSubscribed: () => demo.kick(),
    });
    const stopWatching = rules.watch((status) => {
      if (status.lastError) options.logger.warn({ err: status.lastError }, 'rules file refused');
      else options.logger.info({ thresholds: status.thresholdCount }, 'rules reloaded');
    });
    const host = await startBrowserHost({
      handlers: service.handlers,
      onEvent: service.onEvent,
      rendererDir: options.rendererDir ?? resolve('out/renderer'),
      port: options.port,
      logger: options.logger.child({ component: 'browser-host' }),
    });
    return {
      launchUrl: host.launchUrl,
      fhirBase: demo.server.fhirBase,
      async close() {
        stopWatching();
        await host.close();
        await service.close();
        await demo.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}
