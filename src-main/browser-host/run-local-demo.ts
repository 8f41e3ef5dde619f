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
}): Promise<LocalDemoHost> {
  const releaseLock = acquireInstanceLock(options.dataDir);
  try {
    const demo = await startLocalDemo({
      dataDir: options.dataDir,
      logger: options.logger,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      simulationRate: options.simulationRate,
    });
    const service = createMonitorService({
      dataDir: options.dataDir,
      host: { kind: 'browser', version: '0.1.0', osNotifications: false },
      notifier: createBrowserNotifier((event) => service.publish(event)),
      logger: options.logger.child({ component: 'monitor' }),
      defaultServer: demo.choice,
      signIn: (server, context) => demo.signIn(server, context),
      topicsFor: (_session, server) => topicsForRole(server.role),
      onSubscribed: () => demo.kick(),
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
