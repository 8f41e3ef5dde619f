// Local mode: the embedded notification server with its ward simulator, started beside the app on
// loopback. The app then signs in to it and talks to it exactly as to a hospital server (principle 3):
// the sign-in lives in src-main/app/sign-in.ts; only the demo itself is here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../lib/private-files.ts';
import type { Logger } from '../core/log.ts';
import type { ServerChoice } from '../core/service.ts';
import type { BackendClientRegistration } from '../server/auth/index.ts';
import type { UserRole } from '../shared/api.ts';
import { DEMO_CLIENT_ID } from '../server/demo-users.ts';
import { startServer, type RunningServer } from '../server/server.ts';

export interface LocalDemo {
  server: RunningServer;
  /** The embedded server with the demo's SMART client id: where sign-in goes by default. */
  choice: Omit<ServerChoice, 'role'>;
  /**
   * Give a fresh subscriber something to see, once per run each (a second sign-in adds none): a nurse
   * the run's scripted critical potassium on `ward` (default ward A; its normal repeat draw follows an
   * hour of simulated time later), a pharmacist the run's scripted stat order there.
   */
  kick(ward?: string, role?: UserRole | null): void;
  close(): Promise<void>;
}

/** The embedded server's database, in the app's data directory. */
export const DEMO_SERVER_DB = 'demo-server.sqlite';
/** The port the demo server had last time, so its FHIR base (and who owns what) survives a restart. */
export const DEMO_SERVER_PORT_FILE = 'demo-server.port';
/** How long after the subscription is live the demo's first critical potassium arrives. */
const KICK_DELAY_MS = 500;

function previousPort(dataDir: string): number | null {
  try {
    const port = Number(readFileSync(join(dataDir, DEMO_SERVER_PORT_FILE), 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

/**
 * Start the embedded server on `port`; without one, on the port it had last time in this data
 * directory (an alert belongs to an identity on one FHIR base, and the subscriptions and their cursors
 * are kept per base), or an ephemeral one when that is taken or there was none.
 */
async function startOnStablePort(options: Parameters<typeof startServer>[0], dataDir: string) {
  const previous = options.port ? null : previousPort(dataDir);
  const server = previous
    ? await startServer({ ...options, port: previous }).catch(() => startServer({ ...options, port: 0 }))
    : await startServer(options);
  writePrivateFile(join(dataDir, DEMO_SERVER_PORT_FILE), `${new URL(server.origin).port}\n`);
  return server;
}

export async function startLocalDemo(options: {
  dataDir: string;
  port?: number;
  logger: Logger;
  accessTokenTtlSeconds?: number;
  /** Simulated seconds per real second; 0 seeds the wards but keeps the clock still. Default 60. */
  simulationRate?: number;
  /** Backend Services clients to register (a ward workstation's ward identity). */
  backendClients?: BackendClientRegistration[];
  /** Where the simulated clock starts (epoch ms); default now. Results are stamped with the wall clock. */
  simulationStart?: number;
  /** Simulated minutes before the ward's attending answers the pharmacist; null: never. Default 15. */
  prescriberAnswerMinutes?: number | null | undefined;
}): Promise<LocalDemo> {
  const server = await startOnStablePort(
    {
      port: options.port ?? 0,
      dbPath: join(options.dataDir, DEMO_SERVER_DB),
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      // The ward runs at 60x (one simulated hour a real minute); its rates are measured by
      // bench/demo-rates.ts (README.md, "Quick start").
      simulate: {
        autoStart: options.simulationRate !== 0,
        rate: options.simulationRate ?? 60,
        // The pharmacist's flaggable demo orders (docs/pharmacy.md, "Demo data").
        pharmacyDemo: true,
        ...(options.simulationStart !== undefined ? { startTime: options.simulationStart } : {}),
        ...(options.prescriberAnswerMinutes !== undefined
          ? { prescriberAnswerMinutes: options.prescriberAnswerMinutes }
          : {}),
      },
      backendClients: options.backendClients ?? [],
      logger: options.logger.child({ component: 'server' }),
    },
    options.dataDir,
  );
  // A kick still pending at close must not write to the closed server database.
  const pendingKicks = new Set<NodeJS.Timeout>();
  return {
    server,
    choice: {
      fhirBase: server.fhirBase,
      name: 'Local demo server',
      clientId: DEMO_CLIENT_ID,
      localDemo: true,
    },
    kick: (ward = 'ward-a', role = null) => {
      const timer = setTimeout(() => {
        pendingKicks.delete(timer);
        try {
          if (role === 'pharmacist') server.simulator?.emitDemoStatOrder(ward);
          else server.simulator?.emitDemoCritical(ward);
        } catch (error) {
          // A configured ward the simulator does not have: the demo result is skipped, nothing else.
          options.logger.warn({ ward, err: String(error) }, 'the demo could not emit a result on this ward');
        }
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
