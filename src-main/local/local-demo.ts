// Local mode: the embedded notification server with its ward simulator, started beside the app on
// loopback. The app then talks to it exactly as to a hospital server (principle 3).
import { join } from 'node:path';
import type { Logger } from '../core/log.ts';
import type { ServerChoice, SignedInSession } from '../core/service.ts';
import { DEMO_CLIENT_ID } from '../server/demo-users.ts';
import { startServer, type RunningServer } from '../server/server.ts';

export interface LocalDemo {
  server: RunningServer;
  choice: ServerChoice;
  /** Sign in against the embedded server. */
  signIn(userId?: string): Promise<SignedInSession>;
  /** Give a fresh subscriber something to see: one critical potassium on ward A. */
  kick(): void;
  close(): Promise<void>;
}

export const NURSE_SCOPES = [
  'openid',
  'fhirUser',
  'offline_access',
  'user/Observation.rs',
  'user/Patient.rs',
  'user/Practitioner.rs',
  'user/Location.rs',
  'user/Encounter.rs',
  'user/MedicationRequest.rs',
  'user/DiagnosticReport.rs',
  'user/AllergyIntolerance.rs',
  'user/Subscription.cruds',
];

export async function startLocalDemo(options: {
  dataDir: string;
  port?: number;
  logger: Logger;
  accessTokenTtlSeconds?: number;
}): Promise<LocalDemo> {
  const server = await startServer({
    port: options.port ?? 0,
    dbPath: join(options.dataDir, 'demo-server.sqlite'),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    simulate: {},
    logger: options.logger.child({ component: 'server' }),
  });
  const choice: ServerChoice = {
    fhirBase: server.fhirBase,
    name: 'Local demo server',
    clientId: DEMO_CLIENT_ID,
  };

  // PLACEHOLDER until the SMART client (issue 4) is wired in: a token minted directly by the embedded
  // authorization server for a demo user, instead of the PKCE browser flow.
  async function signIn(userId = 'nurse-a'): Promise<SignedInSession> {
    let issued = server.auth.issueToken({ userId, clientId: DEMO_CLIENT_ID, scopes: NURSE_SCOPES });
    let expiresAt = Date.now() + issued.expiresIn * 1000;
    const listeners = new Set<(s: { state: 'signed-in' | 'signed-out'; reason: string | null }) => void>();
    return {
      fhirBase: server.fhirBase,
      fhirUser: `Practitioner/${userId}`,
      needPatientBanner: false,
      accessToken: async () => issued.accessToken,
      tokenExpiresAt: () => expiresAt,
      refreshNow: async () => {
        issued = server.auth.issueToken({ userId, clientId: DEMO_CLIENT_ID, scopes: NURSE_SCOPES });
        expiresAt = Date.now() + issued.expiresIn * 1000;
      },
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      signOut: async () => {
        server.auth.revokeGrant(issued.grantId);
        for (const listener of listeners) listener({ state: 'signed-out', reason: 'signed out' });
      },
    };
  }

  return {
    server,
    choice,
    signIn,
    kick: () => {
      setTimeout(() => {
        server.simulator?.emitCriticalPotassium('ward-a');
      }, 500);
    },
    close: () => server.close(),
  };
}
