// The host-side implementation of the MonitorApi, shared by the Electron shell and the browser host.
// Hosts only move validated calls and pushed events across their transport; everything else is here.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HostEvent, HostInfo, MonitorHandlers, SessionInfo } from '../shared/api.ts';
import { readResource, type FhirAccess } from './fhir/fhir-client.ts';
import type { Logger } from './log.ts';
import { snapshot } from './monitor/health.ts';
import {
  createMonitor,
  humanName,
  type Monitor,
  type MonitorSession,
  type Notifier,
} from './monitor/monitor.ts';
import type { TopicRequest } from './monitor/subscription-setup.ts';
import { openClientStore, type ClientStore } from './store/client-store.ts';

/** What a sign-in produces; the SMART client's session satisfies it structurally. */
export interface SignedInSession extends MonitorSession {
  needPatientBanner: boolean;
  onChange(
    listener: (state: { state: 'signed-in' | 'signed-out'; reason: string | null }) => void,
  ): () => void;
  signOut(): Promise<void>;
}

export interface ServerChoice {
  fhirBase: string;
  name: string;
  clientId: string;
  role: 'nurse' | 'pharmacist';
}

export interface SignInContext {
  /** Hand the authorization URL to the user (system browser, or the page in the browser host). */
  openUrl(url: string): Promise<void>;
}

export interface ServiceOptions {
  dataDir: string;
  host: HostInfo;
  notifier: Notifier;
  logger: Logger;
  /** The server used when sign-in names none (the embedded demo server in local mode). */
  defaultServer: Omit<ServerChoice, 'role'> | null;
  signIn(server: ServerChoice, context: SignInContext): Promise<SignedInSession>;
  /** Open an authorization URL where the host can (Electron: system browser). The renderer also gets it. */
  openUrl?(url: string, server: ServerChoice): Promise<void>;
  topicsFor(session: SignedInSession): TopicRequest[];
  privacyMode?: boolean;
  /** Called once the monitor is subscribed and streaming (the local demo uses it to emit a result). */
  onSubscribed?(): void;
}

export interface MonitorService {
  handlers: MonitorHandlers;
  onEvent(listener: (event: HostEvent) => void): () => void;
  /** Push a host-originated event (in-page notification, notification click) to the renderer. */
  publish(event: HostEvent): void;
  store: ClientStore;
  close(): Promise<void>;
}

const HEALTH_PUSH_MS = 250;

export function createMonitorService(options: ServiceOptions): MonitorService {
  mkdirSync(options.dataDir, { recursive: true });
  const store = openClientStore(join(options.dataDir, 'monitor.sqlite'));
  const listeners = new Set<(event: HostEvent) => void>();
  const log = options.logger;

  let session: SignedInSession | null = null;
  let server: ServerChoice | null = null;
  let monitor: Monitor | null = null;
  let userDisplay: string | null = null;
  let reason: string | null = null;
  let signingIn = false;
  let authorizationUrl: string | null = null;
  let healthTimer: NodeJS.Timeout | null = null;

  const emit = (event: HostEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: String(error) }, 'event listener failed');
      }
    }
  };

  const sessionInfo = (): SessionInfo => ({
    state: session ? 'signed-in' : signingIn ? 'signing-in' : 'signed-out',
    server: server && (session || signingIn) ? { fhirBase: server.fhirBase, name: server.name } : null,
    user: session ? { fhirUser: session.fhirUser, display: userDisplay } : null,
    reason,
    tokenExpiresAt: session?.tokenExpiresAt()
      ? new Date(session.tokenExpiresAt() as number).toISOString()
      : null,
    needPatientBanner: session?.needPatientBanner ?? false,
    authorizationUrl: signingIn ? authorizationUrl : null,
  });
  const healthSnapshot = () => snapshot(monitor?.health() ?? [], session !== null);
  const pushSession = () => emit({ type: 'session', session: sessionInfo() });
  const scheduleHealth = () => {
    healthTimer ??= setTimeout(() => {
      healthTimer = null;
      emit({ type: 'health', health: healthSnapshot() });
    }, HEALTH_PUSH_MS);
  };

  const accessFor = (s: SignedInSession): FhirAccess => ({
    fhirBase: s.fhirBase,
    accessToken: () => s.accessToken(),
    onUnauthorized: async () => {
      try {
        await s.refreshNow('401 from the FHIR server');
        return true;
      } catch {
        return false;
      }
    },
  });

  async function endSession(why: string | null) {
    const ending = session;
    session = null;
    reason = why;
    await monitor?.stop();
    monitor = null;
    if (ending)
      await ending
        .signOut()
        .catch((error: unknown) => log.warn({ err: String(error) }, 'sign-out at the server failed'));
    pushSession();
    scheduleHealth();
  }

  async function completeSignIn(
    choice: ServerChoice,
    openUrl: (url: string) => Promise<void>,
  ): Promise<void> {
    try {
      const signed = await options.signIn(choice, { openUrl });
      session = signed;
      signingIn = false;
      authorizationUrl = null;
      signed.onChange((change) => {
        if (change.state === 'signed-out' && session === signed)
          void endSession(change.reason ?? 'signed out');
      });
      const who = signed.fhirUser ? await readResource(accessFor(signed), signed.fhirUser) : null;
      userDisplay = who?.resource ? humanName(who.resource['name']) : null;
      monitor = createMonitor({
        store,
        session: signed,
        notifier: options.notifier,
        topics: options.topicsFor(signed),
        emit,
        onHealthChange: scheduleHealth,
        logger: log,
        privacyMode: options.privacyMode ?? false,
      });
      pushSession();
      await monitor.start();
      options.onSubscribed?.();
    } catch (error) {
      signingIn = false;
      authorizationUrl = null;
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ err: message }, 'sign-in or subscription failed');
      await endSession(`Sign-in failed: ${message}`);
    }
  }

  const handlers: MonitorHandlers = {
    getHostInfo: async () => options.host,
    getSession: async () => sessionInfo(),
    getHealth: async () => healthSnapshot(),

    async signIn(args) {
      if (session || signingIn) return sessionInfo();
      const base = args.fhirBase
        ? {
            fhirBase: args.fhirBase.replace(/\/$/, ''),
            name: new URL(args.fhirBase).host,
            clientId: args.clientId ?? '',
          }
        : options.defaultServer;
      if (!base) {
        reason = 'No server configured: enter a FHIR server URL and client id.';
        return sessionInfo();
      }
      if (!base.clientId) {
        reason = 'A client id is required for this server.';
        return sessionInfo();
      }
      const choice: ServerChoice = { ...base, role: args.role };
      server = choice;
      signingIn = true;
      authorizationUrl = null;
      reason = null;
      pushSession();
      // Return as soon as the user has something to do (the authorization URL) or the flow ended; the
      // rest of the flow completes in the background and is pushed as a session event.
      let urlReady: () => void = () => undefined;
      const waitingForUser = new Promise<void>((resolve) => (urlReady = resolve));
      const flow = completeSignIn(choice, async (url) => {
        authorizationUrl = url;
        urlReady();
        pushSession();
        await options.openUrl?.(url, choice);
      });
      await Promise.race([waitingForUser, flow]);
      return sessionInfo();
    },

    async signOut() {
      await endSession('You signed out.');
      return sessionInfo();
    },

    listAlerts: async ({ limit, before }) => store.listAlerts(limit, before),

    async getResource({ reference }) {
      if (!session)
        return { reference, status: 'forbidden', resource: null, message: 'Sign in to see records.' };
      return readResource(accessFor(session), reference);
    },

    async markSeen({ alertId }) {
      const alert = store.getAlert(alertId);
      if (!alert) return null;
      if (alert.state === 'new') store.setAlertState(alertId, 'seen', session?.fhirUser ?? null);
      const updated = store.getAlert(alertId);
      if (updated) emit({ type: 'alert', alert: updated });
      return updated;
    },

    async acknowledge({ alertId, note }) {
      const alert = store.getAlert(alertId);
      if (!alert || !session) return null;
      store.acknowledge(alertId, session.fhirUser ?? 'unknown user', note ?? null);
      const updated = store.getAlert(alertId);
      if (updated) emit({ type: 'alert', alert: updated });
      return updated;
    },
  };

  return {
    handlers,
    store,
    publish: emit,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (healthTimer) clearTimeout(healthTimer);
      await monitor?.stop();
      monitor = null;
      store.close();
    },
  };
}
