// The host-side implementation of the MonitorApi, shared by the Electron shell and the browser host.
// Hosts only move validated calls and pushed events across their transport; everything else is here.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { HostEvent, HostInfo, MonitorHandlers, SessionInfo } from '../shared/api.ts';
import { humanName } from '../shared/fhir-json.ts';
import { accessFor, readResource } from './fhir/fhir-client.ts';
import type { Logger } from './log.ts';
import { snapshot } from './monitor/health.ts';
import { createMonitor, type Monitor } from './monitor/monitor.ts';
import type { MonitorSession, Notifier, TopicRequest } from './ports.ts';
import { openClientStore, type ClientStore } from './store/client-store.ts';
import { openPreferences } from './preferences.ts';
import { pruneStore } from './store/retention.ts';
import { createViewHandlers } from './views.ts';
import { createAlerting, type AlertingOptions } from './alerting/alerting.ts';
import { interpretationOnlyRules, type RulesHolder } from './rules/rules-holder.ts';

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
  /** A fixed loopback redirect port; default an ephemeral one. */
  redirectPort?: number;
  /** Scopes to request instead of the role's defaults. */
  scopes?: string[];
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
  /**
   * Sign in silently with what a previous run left (an encrypted refresh token); null when nothing is
   * stored or it no longer works. Hosts without durable secret storage leave it out.
   */
  resume?(server: ServerChoice): Promise<SignedInSession | null>;
  /** Open an authorization URL where the host can (Electron: system browser). The renderer also gets it. */
  openUrl?(url: string, server: ServerChoice): Promise<void>;
  topicsFor(session: SignedInSession, server: ServerChoice): TopicRequest[];
  privacyMode?: boolean;
  /** Called once the monitor is subscribed and streaming (the local demo uses it to emit a result). */
  onSubscribed?(): void;
  /** The active rules; the composition root resolves the rules file path. */
  rules?: RulesHolder;
  /** Closed-loop timers, export location and launch-at-login hook. */
  alerting?: Partial<
    Pick<
      AlertingOptions,
      'repeatMinutes' | 'exportDir' | 'launchAtLogin' | 'now' | 'tickMs' | 'writebackBackoff'
    > & {
      /** Escalate a critical not acknowledged within this long. Default 10 minutes. */
      ackTimeoutMinutes: number;
      /** Critical-result communication target. Default 30 minutes. */
      targetMinutes: number;
    }
  >;
  /** Tiers that raise an OS notification (default critical; "configurably, high"). */
  interruptTiers?: Array<'critical' | 'high'>;
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
const lastServerSchema = z.object({
  fhirBase: z.url(),
  name: z.string().max(200),
  clientId: z.string().min(1).max(256),
  role: z.enum(['nurse', 'pharmacist']),
  redirectPort: z.number().int().optional(),
  scopes: z.array(z.string()).optional(),
});
const PRUNE_EVERY_MS = 6 * 60 * 60_000;

export function createMonitorService(options: ServiceOptions): MonitorService {
  mkdirSync(options.dataDir, { recursive: true });
  const { ackTimeoutMinutes = 10, targetMinutes = 30, ...alertingOptions } = options.alerting ?? {};
  const store = openClientStore(join(options.dataDir, 'monitor.sqlite'), {
    lifecycle: { ackTimeoutMs: ackTimeoutMinutes * 60_000, targetMs: targetMinutes * 60_000 },
  });
  const listeners = new Set<(event: HostEvent) => void>();
  const log = options.logger;
  // Privacy mode's default is preferences.ts's (on); only a deployment that says so turns it off.
  const preferences = openPreferences(options.dataDir, {
    ...(options.privacyMode !== undefined ? { privacyMode: options.privacyMode } : {}),
    notifyHigh: options.interruptTiers?.includes('high') ?? false,
  });
  const prune = () => log.info(pruneStore(store), 'store pruned by the retention policy');
  prune();
  const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
  pruneTimer.unref();

  let session: SignedInSession | null = null;
  let server: ServerChoice | null = null;
  let monitor: Monitor | null = null;
  let userDisplay: string | null = null;
  let reason: string | null = null;
  let signingIn = false;
  let authorizationUrl: string | null = null;
  let healthTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const emitRaw = (event: HostEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: String(error) }, 'event listener failed');
      }
    }
  };
  // Any alert change may change the tray/badge counts: follow it with an `alerting` status push.
  const emit = (event: HostEvent) => {
    emitRaw(event);
    if (event.type === 'alert') alerting.pushStatus();
  };
  const alerting = createAlerting({
    store,
    notifier: options.notifier,
    logger: log.child({ component: 'alerting' }),
    emit: emitRaw,
    exportDir: join(options.dataDir, 'exports'),
    privacyMode: () => preferences.get().privacyMode,
    ...alertingOptions,
    rules: options.rules ?? interpretationOnlyRules(),
  });
  alerting.start();

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

  /** `retire`: the user signed out with a live token, so the subscriptions can be turned off too. */
  async function endSession(why: string | null, retire = false) {
    const ending = session;
    session = null;
    alerting.setSession(null);
    reason = why;
    const problems = retire && monitor ? await monitor.retire() : (await monitor?.stop(), []);
    if (problems.length > 0)
      reason = `${why ?? ''} The server could not turn ${problems.length} subscription(s) off.`.trim();
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
    obtain: () => Promise<SignedInSession | null>,
  ): Promise<void> {
    try {
      const signed = await obtain();
      if (!signed) {
        signingIn = false;
        reason = 'Your previous sign-in has expired: sign in again.';
        forgetLastServer();
        pushSession();
        return;
      }
      rememberLastServer(choice);
      // Who signed in, before the session counts as signed in: the UI never shows "unknown user".
      const who = signed.fhirUser ? await readResource(accessFor(signed), signed.fhirUser) : null;
      userDisplay = who?.resource ? humanName(who.resource['name']) : null;
      session = signed;
      signingIn = false;
      authorizationUrl = null;
      signed.onChange((change) => {
        if (change.state === 'signed-out' && session === signed)
          void endSession(change.reason ?? 'signed out');
      });
      monitor = createMonitor({
        store,
        session: signed,
        notifier: options.notifier,
        topics: options.topicsFor(signed, choice),
        emit,
        onHealthChange: scheduleHealth,
        logger: log,
        privacyMode: () => preferences.get().privacyMode,
        interruptTiers: () => (preferences.get().notifyHigh ? ['critical', 'high'] : ['critical']),
        ...(options.rules ? { rules: options.rules } : {}),
      });
      alerting.setSession({
        fhirBase: signed.fhirBase,
        fhirUser: signed.fhirUser,
        access: accessFor(signed),
      });
      pushSession();
      await monitor.start();
      options.onSubscribed?.();
    } catch (error) {
      signingIn = false;
      authorizationUrl = null;
      // Closing the app while sign-in was still subscribing is not a failed sign-in: keep the tokens
      // (and the stored refresh token) so the next start can resume.
      if (closed) return;
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ err: message }, 'sign-in or subscription failed');
      await endSession(`Sign-in failed: ${message}`);
    }
  }

  // Which server and role the user was signed in to (no secrets), so the next start can resume.
  const lastServerPath = join(options.dataDir, 'last-session.json');
  function rememberLastServer(choice: ServerChoice) {
    writeFileSync(lastServerPath, JSON.stringify(choice));
  }
  function forgetLastServer() {
    rmSync(lastServerPath, { force: true });
  }
  function lastServer(): ServerChoice | null {
    try {
      const parsed = lastServerSchema.safeParse(JSON.parse(readFileSync(lastServerPath, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
  const previous = options.resume ? lastServer() : null;
  if (previous && options.resume) {
    const resume = options.resume;
    server = previous;
    signingIn = true;
    void completeSignIn(previous, () => resume(previous));
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
      const choice: ServerChoice = {
        ...base,
        role: args.role,
        ...(args.redirectPort ? { redirectPort: args.redirectPort } : {}),
        ...(args.scopes ? { scopes: args.scopes } : {}),
      };
      server = choice;
      signingIn = true;
      authorizationUrl = null;
      reason = null;
      pushSession();
      // Return as soon as the user has something to do (the authorization URL) or the flow ended; the
      // rest of the flow completes in the background and is pushed as a session event.
      let urlReady: () => void = () => undefined;
      const waitingForUser = new Promise<void>((resolve) => (urlReady = resolve));
      const openUrl = async (url: string) => {
        authorizationUrl = url;
        urlReady();
        pushSession();
        await options.openUrl?.(url, choice);
      };
      const flow = completeSignIn(choice, () => options.signIn(choice, { openUrl }));
      await Promise.race([waitingForUser, flow]);
      return sessionInfo();
    },

    async signOut() {
      forgetLastServer();
      await endSession('You signed out.', true);
      return sessionInfo();
    },

    listAlerts: async ({ limit, before }) => store.alerts.list(limit, before),

    async getResource({ reference }) {
      if (!session)
        return { reference, status: 'forbidden', resource: null, message: 'Sign in to see records.' };
      return readResource(accessFor(session), reference);
    },

    // The closed loop: markSeen, acknowledge (+ write-back), resolveAlert, escalation status,
    // audit export, rules reload, write-back retry and launch-at-login live in core/alerting.
    ...alerting.handlers,

    getPreferences: async () => preferences.get(),
    setPreferences: async (change) => preferences.set(change),

    // Renderer views: fixed, host-built searches; the renderer never names a URL.
    ...createViewHandlers(() => (session ? accessFor(session) : null)),
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
      closed = true;
      if (healthTimer) clearTimeout(healthTimer);
      clearInterval(pruneTimer);
      alerting.stop();
      await monitor?.stop();
      monitor = null;
      store.close();
    },
  };
}

// ---- helpers for the renderer views ----
