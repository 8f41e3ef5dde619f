// The one renderer <-> host contract (DEVELOPERS.md principle 2).
//
// Every call takes exactly one JSON argument object and returns a JSON result. The same schema map
// validates arguments in both hosts (Electron IPC and the browser host's HTTP API); the renderer
// imports this file with `import type` only. Nothing here may carry a token: the host keeps those.
import { z } from 'zod';

export const ALERT_TIERS = ['critical', 'high', 'info'] as const;
export type AlertTier = (typeof ALERT_TIERS)[number];
/** A tier, or "unclassified" when neither interpretation nor a threshold applies. */
export type AlertClass = AlertTier | 'unclassified';

export const ALERT_STATES = ['new', 'seen', 'acknowledged', 'escalated', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** One feed row: what the notification said plus what the rules concluded about its focus. */
export interface AlertSummary {
  /** Stable local id: `<subscriptionKey>:<eventNumber>`. */
  id: string;
  subscriptionKey: string;
  eventNumber: string;
  topic: string;
  /** Relative FHIR reference of the focus, e.g. `Observation/obs-1` (claim-check id). */
  focus: string;
  tier: AlertClass;
  /** Short human headline, e.g. "Potassium 6.8 mmol/L". Empty until the focus was fetched. */
  headline: string;
  /** Why this tier, e.g. "critical high (HH); limit > 6.2 mmol/L". */
  reason: string;
  patient: { reference: string; name?: string } | null;
  location: string | null;
  /** Notification timestamp (server), ISO-8601. */
  occurredAt: string;
  /** When this workstation committed the event, ISO-8601. */
  receivedAt: string;
  state: AlertState;
  /** Focus fetch outcome: ok, gone (404/410), forbidden (403), pending, or error. */
  fetch: ResourceStatus;
}

export type ResourceStatus = 'ok' | 'gone' | 'forbidden' | 'pending' | 'error';

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string };
  [key: string]: unknown;
}

export interface ResourceView {
  reference: string;
  status: ResourceStatus;
  resource: FhirResource | null;
  /** Human message for non-ok states; never contains tokens. */
  message: string | null;
}

export type ConnectionState = 'connecting' | 'live' | 'degraded' | 'reconnecting' | 'stopped';

export interface SubscriptionHealth {
  subscriptionKey: string;
  topic: string;
  channel: 'sse' | 'websocket' | 'poll';
  connection: ConnectionState;
  subscriptionStatus: string | null;
  lastFrameAt: string | null;
  lastHeartbeatAt: string | null;
  lastEventNumber: string | null;
  eventsSinceSubscriptionStart: string | null;
  gapsDetected: number;
  gapsRecovered: number;
  duplicatesDropped: number;
  reconnects: number;
  channelErrors: number;
  lastError: string | null;
  latencyMs: { p50: number | null; p99: number | null };
  tokenExpiresAt: string | null;
}

export interface HealthSnapshot {
  at: string;
  subscriptions: SubscriptionHealth[];
  /** Banner text when anything is degraded, else null ("silence must never look like calm"). */
  degraded: string | null;
}

export type SessionState = 'signed-out' | 'signing-in' | 'signed-in';

export interface SessionInfo {
  state: SessionState;
  server: { fhirBase: string; name: string } | null;
  user: { fhirUser: string | null; display: string | null } | null;
  /** Why the session ended or failed, if it did. */
  reason: string | null;
  tokenExpiresAt: string | null;
  needPatientBanner: boolean;
  /**
   * While signing in: the server's authorization URL to complete in a browser (the host also opens it
   * where it can). Not a secret: it carries only PKCE/state public values; the code returns to the host.
   */
  authorizationUrl: string | null;
}

export interface HostInfo {
  kind: 'electron' | 'browser';
  version: string;
  /** Whether the host raises OS notifications itself (Electron, or D-Bus in the browser host). */
  osNotifications: boolean;
}

/** One earlier value of the same code for the same patient (renderer issue 6: trend). */
export interface TrendPoint {
  reference: string;
  /** Numeric value, or null when the result was not a quantity. */
  value: number | null;
  unit: string | null;
  /** effectiveDateTime / issued, ISO-8601. */
  at: string | null;
  /** First interpretation code, e.g. "HH". */
  interpretation: string | null;
}

export interface ObservationTrend {
  reference: string;
  status: ResourceStatus;
  message: string | null;
  /** The code searched, e.g. "Potassium [Moles/volume] in Serum or Plasma". */
  codeDisplay: string | null;
  /** Oldest first, including the observation itself. */
  points: TrendPoint[];
}

/** The outcome of a fixed, host-built search: resources the caller may see, or why not. */
export interface SearchView {
  status: ResourceStatus;
  message: string | null;
  resources: FhirResource[];
}

/** Charge nurse ward board: current encounters, recently finished ones, their patients and beds. */
export interface WardBoardView {
  status: ResourceStatus;
  message: string | null;
  /** In-progress encounters plus encounters finished in the last 24 h. */
  encounters: FhirResource[];
  patients: FhirResource[];
  /** Bed (and ward) Locations of the wards the encounters belong to, including empty beds. */
  locations: FhirResource[];
}

/** Pharmacist order queue: active orders with their patients, prescribers and allergies. */
export interface OrderQueueView {
  status: ResourceStatus;
  message: string | null;
  orders: FhirResource[];
  patients: FhirResource[];
  practitioners: FhirResource[];
  /** Allergies of the queued patients; status 'forbidden' when the role may not read them. */
  allergies: SearchView;
}

/** Events the host pushes to the renderer. */
export type HostEvent =
  | { type: 'alert'; alert: AlertSummary }
  | { type: 'health'; health: HealthSnapshot }
  | { type: 'session'; session: SessionInfo }
  /** Ask the renderer to raise an in-page notification (browser host without OS notifications). */
  | { type: 'notify'; alertId: string | null; title: string; body: string }
  /** The user clicked an OS notification: focus this alert. */
  | { type: 'focus-alert'; alertId: string };

// ---- call argument schemas (validated in both hosts) ----

const boundedString = (max: number) => z.string().min(1).max(max);
const fhirReference = z
  .string()
  .max(256)
  .regex(
    /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/,
    'a relative FHIR reference',
  );

export const apiArgSchemas = {
  getHostInfo: z.object({}).strict(),
  getSession: z.object({}).strict(),
  signIn: z
    .object({
      /** Omit for the local demo server. */
      fhirBase: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .optional(),
      clientId: boundedString(256).optional(),
      /** Chooses the least-privilege scope set requested at sign-in. */
      role: z.enum(['nurse', 'pharmacist']).default('nurse'),
    })
    .strict(),
  signOut: z.object({}).strict(),
  listAlerts: z
    .object({
      limit: z.number().int().min(1).max(1000).default(200),
      /** Return alerts received strictly before this alert id's row (paging). */
      before: boundedString(300).optional(),
    })
    .strict(),
  getResource: z.object({ reference: fhirReference }).strict(),
  markSeen: z.object({ alertId: boundedString(300) }).strict(),
  acknowledge: z.object({ alertId: boundedString(300), note: z.string().max(500).optional() }).strict(),
  getHealth: z.object({}).strict(),
  /** Earlier values of the same code for the same patient as this Observation (host builds the search). */
  getObservationTrend: z
    .object({ reference: fhirReference, count: z.number().int().min(2).max(50).default(20) })
    .strict(),
  /** AllergyIntolerance of one patient. */
  getAllergies: z.object({ patient: fhirReference }).strict(),
  getWardBoard: z.object({}).strict(),
  listMedicationOrders: z.object({ limit: z.number().int().min(1).max(200).default(100) }).strict(),
} as const;

export type ApiMethod = keyof typeof apiArgSchemas;
export type ApiArgs<M extends ApiMethod> = z.input<(typeof apiArgSchemas)[M]>;
export type ApiParsedArgs<M extends ApiMethod> = z.output<(typeof apiArgSchemas)[M]>;

export interface ApiResults {
  getHostInfo: HostInfo;
  getSession: SessionInfo;
  signIn: SessionInfo;
  signOut: SessionInfo;
  listAlerts: AlertSummary[];
  getResource: ResourceView;
  markSeen: AlertSummary | null;
  acknowledge: AlertSummary | null;
  getHealth: HealthSnapshot;
  getObservationTrend: ObservationTrend;
  getAllergies: SearchView;
  getWardBoard: WardBoardView;
  listMedicationOrders: OrderQueueView;
}

/** What the renderer holds: one async method per call plus a push subscription. */
export type MonitorApi = {
  [M in ApiMethod]: (args: ApiArgs<M>) => Promise<ApiResults[M]>;
} & {
  /** Subscribe to pushed events; returns the unsubscribe function. */
  onEvent(listener: (event: HostEvent) => void): () => void;
};

/** What a host implements: the same calls, receiving already-validated arguments. */
export type MonitorHandlers = {
  [M in ApiMethod]: (args: ApiParsedArgs<M>) => Promise<ApiResults[M]>;
};

export class ApiValidationError extends Error {
  override readonly name = 'ApiValidationError';
}

/** Validate one call; throws ApiValidationError naming the method and the bad field. */
export function parseApiArgs<M extends ApiMethod>(method: M, raw: unknown): ApiParsedArgs<M> {
  const schema = apiArgSchemas[method];
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'argument';
    throw new ApiValidationError(`${method}: invalid ${where}: ${issue?.message ?? 'bad input'}`);
  }
  return result.data as ApiParsedArgs<M>;
}

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(apiArgSchemas, name);
}
