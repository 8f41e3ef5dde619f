// Local mode: the embedded notification server with its ward simulator, started beside the app on
// loopback. The app then signs in to it and talks to it exactly as to a hospital server (principle 3):
// the sign-in lives in src-main/app/sign-in.ts; only the demo itself is here.
import { join } from 'node:path';
import type { Logger } from '../core/log.ts';
import type { ServerChoice } from '../core/service.ts';
import { DEMO_CLIENT_ID } from '../server/demo-users.ts';
import { startServer, type RunningServer } from '../server/server.ts';

export interface LocalDemo {
  server: RunningServer;
  /** The embedded server with the demo's SMART client id: where sign-in goes by default. */
  choice: Omit<ServerChoice, 'role'>;
  /**
   * Give a fresh subscriber something to see: the run's one scripted critical potassium on ward A (a
   * second sign-in in the same run adds none; its normal repeat draw follows an hour of simulated time
   * later).
   */
  kick(): void;
  close(): Promise<void>;
}

/** The embedded server's database, in the app's data directory. */
export const DEMO_SERVER_DB = 'demo-server.sqlite';
/** How long after the subscription is live the demo's first critical potassium arrives. */
const KICK_DELAY_MS = 500;

export async function startLocalDemo(options: {
  dataDir: string;
  port?: number;
  logger: Logger;
  accessTokenTtlSeconds?: number;
  /** Simulated seconds per real second; 0 seeds the wards but keeps the clock still. Default 60. */
  simulationRate?: number;
  /** Where the simulated clock starts (epoch ms); default now. Results are stamped with the wall clock. */
  simulationStart?: number;
}): Promise<LocalDemo> {
  const server = await startServer({
    port: options.port ?? 0,
    dbPath: join(options.dataDir, DEMO_SERVER_DB),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    // The ward runs at 60x (one simulated hour a real minute); its rates are measured by
    // bench/demo-rates.ts (README.md, "Quick start").
    simulate: {
      autoStart: options.simulationRate !== 0,
      rate: options.simulationRate ?? 60,
      ...(options.simulationStart !== undefined ? { startTime: options.simulationStart } : {}),
    },
    logger: options.logger.child({ component: 'server' }),
  });
  // A kick still pending at close must not write to the closed server database.
  const pendingKicks = new Set<NodeJS.Timeout>();
  return {
    server,
    choice: { fhirBase: server.fhirBase, name: 'Local demo server', clientId: DEMO_CLIENT_ID },
    kick: () => {
      const timer = setTimeout(() => {
        pendingKicks.delete(timer);
        server.simulator?.emitDemoCritical('ward-a');
      }, KICK_DELAY_MS);
      pendingKicks.add(timer);
    },
    close: () => {
      for (const timer of pendingKicks) clearTimeout(timer);
      pendingKicks.clear();
      return server.close();
    },
  };
}
