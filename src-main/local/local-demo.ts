// Local mode: the embedded notification server with its ward simulator, started beside the app on
// loopback. The app then talks to it exactly as to a hospital server (principle 3).
import { join } from 'node:path';
import type { Logger } from '../core/log.ts';
import { DEFAULT_SCOPES, resumeSession, signInInteractive, type SecretStore } from '../core/auth/index.ts';
import { isLoopbackUrl } from '../core/auth/discovery.ts';
import type { ServerChoice, SignedInSession, SignInContext } from '../core/service.ts';
import { DEMO_CLIENT_ID } from '../server/demo-users.ts';
import { startServer, type RunningServer } from '../server/server.ts';

export interface LocalDemo {
  server: RunningServer;
  choice: Omit<ServerChoice, 'role'>;
  /** SMART sign-in (against the embedded server or any other the user chose). */
  signIn(server: ServerChoice, context: SignInContext): Promise<SignedInSession>;
  /** Silent sign-in with the refresh token a previous run stored; null without a secret store. */
  resume(server: ServerChoice): Promise<SignedInSession | null>;
  /** Give a fresh subscriber something to see: one critical potassium on ward A. */
  kick(): void;
  close(): Promise<void>;
}

export async function startLocalDemo(options: {
  dataDir: string;
  port?: number;
  logger: Logger;
  accessTokenTtlSeconds?: number;
  /** Simulated seconds per real second; 0 seeds the wards but keeps the clock still. Default 60. */
  simulationRate?: number;
  /** Where a refresh token may be kept at rest; omit to keep it in memory only. */
  secretStore?: SecretStore;
}): Promise<LocalDemo> {
  const server = await startServer({
    port: options.port ?? 0,
    dbPath: join(options.dataDir, 'demo-server.sqlite'),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    // The ward runs at 60x (one simulated hour a minute): about one critical result a minute per ward.
    simulate: { autoStart: options.simulationRate !== 0, rate: options.simulationRate ?? 60 },
    logger: options.logger.child({ component: 'server' }),
  });
  const choice: Omit<ServerChoice, 'role'> = {
    fhirBase: server.fhirBase,
    name: 'Local demo server',
    clientId: DEMO_CLIENT_ID,
  };

  // The same SMART standalone launch as against a hospital server: discovery, PKCE, the system
  // browser (or the page, in the browser host) and a loopback redirect. Only plain http on loopback is
  // allowed here, because the embedded server is on 127.0.0.1.
  const signIn = (server: ServerChoice, context: SignInContext): Promise<SignedInSession> =>
    signInInteractive({
      fhirBase: server.fhirBase,
      clientId: server.clientId,
      scopes: server.scopes ?? DEFAULT_SCOPES[server.role],
      ...(server.redirectPort ? { redirectPort: server.redirectPort } : {}),
      openUrl: context.openUrl,
      allowInsecureLoopback: isLoopbackUrl(server.fhirBase),
      secretStore: options.secretStore,
      logger: options.logger.child({ component: 'auth' }),
    });

  const resume = async (server: ServerChoice): Promise<SignedInSession | null> =>
    options.secretStore
      ? resumeSession({
          fhirBase: server.fhirBase,
          clientId: server.clientId,
          secretStore: options.secretStore,
          allowInsecureLoopback: isLoopbackUrl(server.fhirBase),
          logger: options.logger.child({ component: 'auth' }),
        })
      : null;

  return {
    server,
    choice,
    signIn,
    resume,
    kick: () => {
      setTimeout(() => {
        server.simulator?.emitCriticalPotassium('ward-a');
      }, 500);
    },
    close: () => server.close(),
  };
}
