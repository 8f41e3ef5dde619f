// The host-side implementation of the MonitorApi, shared by the Electron shell and the browser host.
// Hosts only move validated calls and pushed events across their transport; everything else is here.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type {
  FhirResource,
  HostEvent,
  HostInfo,
  MonitorHandlers,
  SearchView,
  SessionInfo,
  TrendPoint,
} from '../shared/api.ts';
import { fhirFetch, readResource, type FhirAccess } from './fhir/fhir-client.ts';
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
import { pruneStore } from './store/retention.ts';
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
  /** The active rules; the composition root resolves the rules file path (issue 5). */
  rules?: RulesHolder;
  /** Closed-loop timers, export location and launch-at-login hook (issue 5). */
  alerting?: Partial<
    Pick<
      AlertingOptions,
      | 'ackTimeoutMinutes'
      | 'repeatMinutes'
      | 'targetMinutes'
      | 'exportDir'
      | 'launchAtLogin'
      | 'now'
      | 'tickMs'
      | 'writebackBackoff'
    >
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
});
const PRUNE_EVERY_MS = 6 * 60 * 60_000;

export function createMonitorService(options: ServiceOptions): MonitorService {
  mkdirSync(options.dataDir, { recursive: true });
  const store = openClientStore(join(options.dataDir, 'monitor.sqlite'));
  const listeners = new Set<(event: HostEvent) => void>();
  const log = options.logger;
  const prune = () => log.info(pruneStore(store.db), 'store pruned by the retention policy');
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
    privacyMode: options.privacyMode ?? false,
    ...options.alerting,
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
        topics: options.topicsFor(signed, choice),
        emit,
        onHealthChange: scheduleHealth,
        logger: log,
        privacyMode: options.privacyMode ?? false,
        ...(options.rules ? { rules: options.rules } : {}),
        ...(options.interruptTiers ? { interruptTiers: options.interruptTiers } : {}),
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

    listAlerts: async ({ limit, before }) => store.listAlerts(limit, before),

    async getResource({ reference }) {
      if (!session)
        return { reference, status: 'forbidden', resource: null, message: 'Sign in to see records.' };
      return readResource(accessFor(session), reference);
    },

    // The closed loop (issue 5): markSeen, acknowledge (+ write-back), resolveAlert, escalation status,
    // audit export, rules reload, write-back retry and launch-at-login live in core/alerting.
    ...alerting.handlers,

    // ---- renderer views (issue 6): fixed, host-built searches; the renderer never names a URL ----

    async getObservationTrend({ reference, count }) {
      if (!session) return { reference, ...notSignedIn(), codeDisplay: null, points: [] };
      const access = accessFor(session);
      const view = await readResource(access, reference);
      if (view.status !== 'ok' || !view.resource || view.resource.resourceType !== 'Observation') {
        return { reference, status: view.status, message: view.message, codeDisplay: null, points: [] };
      }
      const obs = view.resource;
      const coding = firstCoding(obs['code']);
      const patientRef = referenceOf(obs['subject']);
      const codeDisplay = conceptText(obs['code']);
      if (!coding || !patientRef) {
        return { reference, status: 'ok', message: null, codeDisplay, points: [trendPoint(obs)] };
      }
      const found = await searchResources(access, 'Observation', [
        ['patient', patientRef],
        ['code', coding.system ? `${coding.system}|${coding.code}` : coding.code],
        ['_sort', '-date'],
        ['_count', String(count)],
      ]);
      const points = found.resources.map(trendPoint);
      if (!points.some((p) => p.reference === reference)) points.unshift(trendPoint(obs));
      points.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
      return { reference, status: found.status, message: found.message, codeDisplay, points };
    },

    async getAllergies({ patient }) {
      if (!session) return { ...notSignedIn(), resources: [] };
      if (!patient.startsWith('Patient/'))
        return { status: 'error', message: 'not a Patient', resources: [] };
      return searchResources(accessFor(session), 'AllergyIntolerance', [
        ['patient', patient],
        ['_count', '100'],
      ]);
    },

    async getWardBoard() {
      if (!session) return { ...notSignedIn(), encounters: [], patients: [], locations: [] };
      const access = accessFor(session);
      const since = new Date(Date.now() - 24 * 3600_000).toISOString();
      const [current, finished] = await Promise.all([
        searchResources(access, 'Encounter', [
          ['status', 'in-progress'],
          ['_count', '500'],
        ]),
        searchResources(access, 'Encounter', [
          ['status', 'finished'],
          ['_lastUpdated', `ge${since}`],
          ['_sort', '-_lastUpdated'],
          ['_count', '200'],
        ]),
      ]);
      if (current.status !== 'ok')
        return {
          status: current.status,
          message: current.message,
          encounters: [],
          patients: [],
          locations: [],
        };
      const encounters = [...current.resources, ...finished.resources];
      const wards = [...new Set(encounters.flatMap(wardCodes))];
      const [patients, ...locationSets] = await Promise.all([
        searchByIds(
          access,
          'Patient',
          encounters.map((e) => referenceOf(e['subject'])),
        ),
        ...wards.map((ward) =>
          searchResources(access, 'Location', [
            ['partof', `Location/${ward}`],
            ['_count', '200'],
          ]),
        ),
        searchByIds(
          access,
          'Location',
          wards.map((ward) => `Location/${ward}`),
        ),
      ]);
      return {
        status: 'ok',
        message: null,
        encounters,
        patients: patients.resources,
        locations: locationSets.flatMap((set) => set.resources),
      };
    },

    async listMedicationOrders({ limit }) {
      const empty: SearchView = { status: 'forbidden', message: 'Sign in to see records.', resources: [] };
      if (!session)
        return { ...notSignedIn(), orders: [], patients: [], practitioners: [], allergies: empty };
      const access = accessFor(session);
      const orders = await searchResources(access, 'MedicationRequest', [
        ['status', 'active'],
        ['intent', 'order'],
        ['_sort', '-date'],
        ['_count', String(limit)],
      ]);
      if (orders.status !== 'ok')
        return {
          status: orders.status,
          message: orders.message,
          orders: [],
          patients: [],
          practitioners: [],
          allergies: empty,
        };
      const patientRefs = [
        ...new Set(orders.resources.map((o) => referenceOf(o['subject'])).filter(isString)),
      ];
      const [patients, practitioners, allergies] = await Promise.all([
        searchByIds(access, 'Patient', patientRefs),
        searchByIds(
          access,
          'Practitioner',
          orders.resources.map((o) => referenceOf(o['requester'])),
        ),
        patientRefs.length > 0
          ? searchResources(access, 'AllergyIntolerance', [
              ['patient', patientRefs.join(',')],
              ['_count', '1000'],
            ])
          : Promise.resolve<SearchView>({ status: 'ok', message: null, resources: [] }),
      ]);
      return {
        status: 'ok',
        message: null,
        orders: orders.resources,
        patients: patients.resources,
        practitioners: practitioners.resources,
        allergies,
      };
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
      clearInterval(pruneTimer);
      alerting.stop();
      await monitor?.stop();
      monitor = null;
      store.close();
    },
  };
}

// ---- helpers for the renderer views (issue 6) ----

/** Resource types and parameter names the view handlers may search; anything else is refused. */
const SEARCHABLE: Record<string, ReadonlySet<string>> = {
  Observation: new Set(['patient', 'code', '_sort', '_count']),
  AllergyIntolerance: new Set(['patient', '_count']),
  Encounter: new Set(['status', '_lastUpdated', '_sort', '_count']),
  Location: new Set(['partof', '_id', '_count']),
  Patient: new Set(['_id', '_count']),
  Practitioner: new Set(['_id', '_count']),
  MedicationRequest: new Set(['status', 'intent', '_sort', '_count']),
};
const SEARCH_VALUE = /^[A-Za-z0-9\-.:/|,_]{1,2000}$/;

const notSignedIn = () => ({ status: 'forbidden' as const, message: 'Sign in to see records.' });
const isString = (value: unknown): value is string => typeof value === 'string';

/** One same-origin search with a fixed type and allow-listed parameters; never throws. */
async function searchResources(
  access: FhirAccess,
  type: string,
  params: [string, string][],
): Promise<SearchView> {
  const allowed = SEARCHABLE[type];
  if (!allowed || params.some(([name, value]) => !allowed.has(name) || !SEARCH_VALUE.test(value))) {
    return { status: 'error', message: `search on ${type} not allowed`, resources: [] };
  }
  try {
    const { status, body } = await fhirFetch(access, `${type}?${new URLSearchParams(params).toString()}`);
    if (status === 403 || status === 401)
      return { status: 'forbidden', message: 'You are not permitted to see these records.', resources: [] };
    if (status !== 200) return { status: 'error', message: `The server answered ${status}.`, resources: [] };
    const entries = (body as { entry?: unknown } | null)?.entry;
    const resources = (Array.isArray(entries) ? entries : [])
      .map((entry: unknown) => (entry as { resource?: unknown } | null)?.resource)
      .filter(
        (r): r is FhirResource =>
          !!r && typeof r === 'object' && (r as { resourceType?: unknown }).resourceType === type,
      );
    return { status: 'ok', message: null, resources };
  } catch (error) {
    return {
      status: 'error',
      message: error instanceof Error ? error.message : 'search failed',
      resources: [],
    };
  }
}

/** Fetch resources of one type by reference (`Type/id`), in one `_id` search. */
async function searchByIds(
  access: FhirAccess,
  type: string,
  references: (string | null)[],
): Promise<SearchView> {
  const ids = [
    ...new Set(
      references
        .filter(isString)
        .filter((ref) => ref.startsWith(`${type}/`))
        .map((ref) => ref.slice(type.length + 1))
        .filter((id) => /^[A-Za-z0-9\-.]{1,64}$/.test(id)),
    ),
  ].slice(0, 500);
  if (ids.length === 0) return { status: 'ok', message: null, resources: [] };
  return searchResources(access, type, [
    ['_id', ids.join(',')],
    ['_count', String(ids.length)],
  ]);
}

function referenceOf(value: unknown): string | null {
  const ref = (value as { reference?: unknown } | null | undefined)?.reference;
  if (typeof ref !== 'string') return null;
  const parts = ref.split('/').filter((p) => p.length > 0);
  return parts.length >= 2 ? `${parts[parts.length - 2]}/${parts[parts.length - 1]}` : null;
}

function firstCoding(concept: unknown): { system: string | null; code: string } | null {
  const coding = (concept as { coding?: unknown } | null | undefined)?.coding;
  const first: unknown = Array.isArray(coding) ? coding[0] : undefined;
  const code = (first as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return null;
  const system = (first as { system?: unknown }).system;
  return { system: typeof system === 'string' ? system : null, code };
}

function conceptText(concept: unknown): string | null {
  const c = concept as { text?: unknown; coding?: unknown } | null | undefined;
  if (typeof c?.text === 'string') return c.text;
  const first: unknown = Array.isArray(c?.coding) ? c.coding[0] : undefined;
  const display = (first as { display?: unknown } | undefined)?.display;
  return typeof display === 'string' ? display : null;
}

function trendPoint(obs: FhirResource): TrendPoint {
  const q = obs['valueQuantity'] as { value?: unknown; unit?: unknown; code?: unknown } | undefined;
  const at = obs['effectiveDateTime'] ?? obs['issued'];
  return {
    reference: `Observation/${obs.id ?? ''}`,
    value: typeof q?.value === 'number' ? q.value : null,
    unit: typeof q?.unit === 'string' ? q.unit : typeof q?.code === 'string' ? q.code : null,
    at: typeof at === 'string' ? at : null,
    interpretation:
      firstCoding(Array.isArray(obs['interpretation']) ? obs['interpretation'][0] : null)?.code ?? null,
  };
}

/** Ward label codes on a resource (the server's access labels). */
function wardCodes(resource: FhirResource): string[] {
  const security = (resource.meta as { security?: unknown } | undefined)?.security;
  return (Array.isArray(security) ? security : [])
    .map((c: unknown) => (c as { code?: unknown } | null)?.code)
    .filter(isString)
    .filter((code) => /^[a-z0-9-]{1,64}$/.test(code));
}
