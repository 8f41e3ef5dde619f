// The one renderer <-> host contract (docs/architecture.md).
//
// Every call takes exactly one JSON argument object and returns a JSON result. The same schema map
// validates arguments in both hosts (Electron IPC and the browser host's HTTP API); the renderer
// imports this file with `import type` only. Nothing here may carry a token: the host keeps those.
import { z } from 'zod';
import type { AlertSummary, AlertingStatus, AuditExport, RulesStatus } from './api-alerts.ts';
import type {
  OrderChecksStatus,
  OrderDecisionResult,
  OrderReview,
  UserRole,
  WorklistView,
} from './api-pharmacy.ts';
import type { FhirResource, ResourceStatus, ResourceView } from './api-resources.ts';

export * from './api-alerts.ts';
export * from './api-pharmacy.ts';
export * from './api-resources.ts';

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
  /** The heartbeat period expected of this subscription; a live one silent for twice that is degraded. */
  heartbeatSeconds?: number;
  /**
   * Since when this workstation has this subscription: nothing written before then is delivered (a
   * first sign-in here shows no earlier results, and says so).
   */
  watchingSince?: string | null;
  /**
   * A first watch here read back the open critical results written since then (ISO; the feed says
   * so); absent or null when nothing was read back.
   */
  readBackFrom?: string | null;
}

/** Token renewal that keeps failing for a transient reason (the session goes on meanwhile). */
export interface TokenRenewalHealth {
  failingSince: string;
  attempts: number;
  /** The last failure (an OAuth error code or a network error; never a token). */
  lastError: string;
  nextAttemptAt: string | null;
  /** After this the stream and reads stop until a renewal works. */
  accessTokenExpiresAt: string | null;
}

export interface HealthSnapshot {
  at: string;
  subscriptions: SubscriptionHealth[];
  /** Banner text when anything is degraded, else null ("silence must never look like calm"). */
  degraded: string | null;
  /** Non-null while token renewal is failing; `degraded` then says so. */
  tokenRenewal?: TokenRenewalHealth | null;
  /**
   * True while a live subscription brings news of every final lab report (pushed as `results`): the
   * page re-reads the trends it shows when told. False: it re-reads them on a timer.
   */
  resultsPushed?: boolean;
}

export type SessionState = 'signed-out' | 'signing-in' | 'signed-in';

/** How the workstation runs (docs/deployment.md): a person's own machine, or a ward's shared screen. */
export interface WorkstationInfo {
  mode: 'personal' | 'ward';
  /** The ward watched continuously (ward mode), e.g. "ward-a"; null in personal mode. */
  ward: string | null;
  /** Where a sign-in that names no server goes (a ward screen: the ward's server only); null: none. */
  signInTo?: { name: string; localDemo: boolean } | null;
}

/** What arrived for the signed-in user while she was signed out ("while you were away"). */
export interface CatchUpSummary {
  /** When she last signed out here (ISO). */
  since: string;
  alerts: number;
  critical: number;
}

/** One alert on the locked ward screen: tier, bed and time only; never a name or a value. */
export interface LockedWardAlert {
  id: string;
  tier: 'critical' | 'high';
  /** The bed ("Ward A bed 7") when known. */
  bed: string | null;
  /** When the workstation received it (ISO): "waiting 4 min". */
  waitingSince: string;
  escalationLevel: number;
}

/** The ward screen while nobody is signed in (ward workstation mode). */
export interface LockedWardView {
  ward: string;
  /** Open critical and high alerts, longest waiting first. */
  alerts: LockedWardAlert[];
  /** Why the ward may not be watched right now (red on screen); null while it is. */
  degraded: string | null;
  at: string;
}

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
  /** Personal or ward workstation (absent from hosts that predate workstation modes: personal). */
  workstation?: WorkstationInfo;
  /** Signed in: what arrived since she last signed out here; null when nothing or never signed out. */
  catchUp?: CatchUpSummary | null;
  /**
   * Signed in: the user's role from her identity (fhirUser → PractitionerRole), which decides her
   * views; null when the server does not say. Never a local choice.
   */
  role?: UserRole | null;
}

export interface HostInfo {
  kind: 'electron' | 'browser';
  version: string;
  /** Whether the host raises OS notifications itself (Electron, or D-Bus in the browser host). */
  osNotifications: boolean;
}

/** One earlier value of the same code for the same patient. */
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

/** Events the host pushes to the renderer. */
export type HostEvent =
  | { type: 'alert'; alert: AlertSummary }
  | { type: 'health'; health: HealthSnapshot }
  | { type: 'session'; session: SessionInfo }
  /**
   * An interrupting alert: the page shows its in-page toast. `title`/`body` are the OS wording (privacy
   * mode applied). `osRaised` says the host already raised the OS notification (D-Bus, Electron), so the
   * page must not raise a second one; absent or false, the page's Notification API is the one owner.
   */
  | {
      type: 'notify';
      alertId: string | null;
      /** A notification for several alerts: what `withdraw-group-notification` names it by. */
      groupId?: string;
      title: string;
      body: string;
      /**
       * What it is, for the app's own toast (which names the result itself): "CRITICAL", "ESCALATED TO
       * YOU", "NOBODY HAS TAKEN IT"… No patient data, so privacy mode keeps it.
       */
      lead?: string;
      /** The body for the app's own toast, when the OS wording would send her to the app itself. */
      inAppBody?: string;
      osRaised?: boolean;
    }
  /** The alert was acknowledged or resolved: close its OS/page notification and its toast. */
  | { type: 'withdraw-notification'; alertId: string }
  /** None of the alerts a notification for several covered is open any more: close it and its toast. */
  | { type: 'withdraw-group-notification'; groupId: string }
  /** The user clicked an OS notification: focus this alert. */
  | { type: 'focus-alert'; alertId: string }
  /** Counts for the tray/badge, escalation and rules/write-back health changed. */
  | { type: 'alerting'; status: AlertingStatus }
  /** The locked ward screen changed (ward workstation, nobody signed in). */
  | { type: 'locked-ward'; view: LockedWardView }
  /** Orders joined or left the worklist (a decision here or on another workstation, a new order). */
  | { type: 'worklist'; orders: string[] }
  /**
   * Final lab reports arrived: a result the page shows (a trend, a later normal result) may have
   * changed. Carries nothing: the page re-reads what it shows with its own calls.
   */
  | { type: 'results' }
  /**
   * Many alerts changed at once (a catch-up): the page reads its feed, and what it shows of them,
   * again. Carries nothing; single changes come as `alert` events.
   */
  | { type: 'feed-changed' };

// ---- call argument schemas (validated in both hosts) ----

const boundedString = (max: number) => z.string().min(1).max(max);
/** openid, fhirUser, offline_access, launch[/x], or (patient|user|system)/(Type|*).(cruds|read|write|*)[?query]. */
const SMART_SCOPE =
  /^(openid|fhirUser|profile|offline_access|online_access|launch(\/[a-z]+)?|(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(c?r?u?d?s?|read|write|\*)(\?[A-Za-z0-9_.\-:|,=&/]{1,200})?)$/;
/**
 * A FHIR base the page names: a plain absolute http(s) URL. No query or fragment (the host appends
 * paths to it: `?…` would turn every request into a request for another path), no credentials.
 */
const plainFhirBase = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((value) => {
    const url = new URL(value);
    return !url.search && !url.hash && !url.username && !url.password && !/[?#]/.test(value);
  }, 'a plain absolute http(s) URL without query, fragment or credentials');

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
      /** Omit for the local demo server (or the configured default). */
      fhirBase: plainFhirBase.optional(),
      clientId: boundedString(256).optional(),
      /**
       * Only a hint for which scopes to ask for: the role itself comes from the signed-in identity
       * (SessionInfo.role). Without it the app asks for what any of its roles may need, and the
       * server grants what the user's role allows.
       */
      role: z.enum(['nurse', 'pharmacist']).optional(),
      /** A fixed loopback redirect port, for servers that match redirect URIs exactly (RFC 8252 §7.3 says any). */
      redirectPort: z.number().int().min(1024).max(65535).optional(),
      /** Scopes to request instead of the role's defaults; SMART v1/v2 grammar, no whitespace. */
      scopes: z.array(z.string().regex(SMART_SCOPE, 'a SMART scope')).min(1).max(60).optional(),
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
  acknowledge: z
    .object({
      alertId: boundedString(300),
      note: z.string().max(500).optional(),
      /**
       * The patient the user saw named on the acknowledge control. When given, the host refuses an
       * acknowledgment whose alert is about anyone else (a stale or mixed-up screen).
       */
      patient: fhirReference.optional(),
    })
    .strict(),
  getHealth: z.object({}).strict(),
  /** Earlier values of the same code for the same patient as this Observation (host builds the search). */
  getObservationTrend: z
    .object({ reference: fhirReference, count: z.number().int().min(2).max(50).default(20) })
    .strict(),
  /** AllergyIntolerance of one patient. */
  getAllergies: z.object({ patient: fhirReference }).strict(),
  getWardBoard: z.object({}).strict(),
  /** Close the loop: an acknowledged alert is resolved (optional note). */
  resolveAlert: z.object({ alertId: boundedString(300), note: z.string().max(500).optional() }).strict(),
  getAlertingStatus: z.object({}).strict(),
  /** Write the audit log as CSV (host writes the file and returns it too). */
  exportAudit: z.object({ since: z.iso.datetime().optional(), until: z.iso.datetime().optional() }).strict(),
  /** Re-read the rules file; a bad file is refused and the previous rules stay active. */
  reloadRules: z.object({}).strict(),
  /** Retry a failed write-back now instead of waiting for the backoff. */
  retryWriteback: z.object({ alertId: boundedString(300) }).strict(),
  getPreferences: z.object({}).strict(),
  setPreferences: z
    .object({
      privacyMode: z.boolean().optional(),
      notifyHigh: z.boolean().optional(),
      audibleCue: z.boolean().optional(),
    })
    .strict(),
  getLaunchAtLogin: z.object({}).strict(),
  setLaunchAtLogin: z.object({ enabled: z.boolean() }).strict(),
  /** The locked ward screen (ward workstation): tier, bed and time of open alerts, no names. */
  getLockedWard: z.object({}).strict(),
  /** The pharmacist's worklist: active orders awaiting verification (a host search, not the alerts). */
  listWorklist: z
    .object({
      ward: z
        .string()
        .regex(/^[a-z0-9-]{1,64}$/)
        .optional(),
      /** Matches a patient's name or reference, case-insensitive. */
      patient: z.string().min(1).max(100).optional(),
    })
    .strict(),
  /** Everything the pharmacist checks for one order. */
  getOrderReview: z.object({ order: fhirReference }).strict(),
  /** Verify (with an override reason per flag), reject (with a reason) or ask the prescriber. */
  decideOrder: z
    .object({
      order: fhirReference,
      decision: z.enum(['verify', 'reject', 'clarify']),
      /** Reject: why; clarify: the question to the prescriber; verify: an optional note. */
      reason: z.string().trim().max(1000).optional(),
      /** Verify: why each flag is overridden, by flag id. */
      overrides: z
        .array(z.object({ flag: boundedString(200), reason: z.string().trim().min(1).max(500) }).strict())
        .max(50)
        .default([]),
    })
    .strict(),
  getOrderChecksStatus: z.object({}).strict(),
  /** Re-read the order-checks file; a bad file is refused and the previous checks stay active. */
  reloadOrderChecks: z.object({}).strict(),
  /**
   * Answer an escalation step addressed to the signed-in user: accept (she takes it: the alert is
   * acknowledged by her) or decline (the next step is asked at once).
   */
  answerEscalation: z
    .object({
      alertId: boundedString(300),
      step: z.number().int().min(1).max(50),
      answer: z.enum(['accept', 'decline']),
      note: z.string().max(500).optional(),
      /** The patient the page shows with the step (refused when the alert is about another). */
      patient: fhirReference.optional(),
    })
    .strict(),
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
  resolveAlert: AlertSummary | null;
  getAlertingStatus: AlertingStatus;
  exportAudit: AuditExport;
  reloadRules: RulesStatus;
  retryWriteback: AlertSummary | null;
  getPreferences: Preferences;
  setPreferences: Preferences;
  getLaunchAtLogin: LaunchAtLogin;
  setLaunchAtLogin: LaunchAtLogin;
  /** Null on a personal workstation. */
  getLockedWard: LockedWardView | null;
  listWorklist: WorklistView;
  getOrderReview: OrderReview;
  decideOrder: OrderDecisionResult;
  getOrderChecksStatus: OrderChecksStatus;
  reloadOrderChecks: OrderChecksStatus;
  answerEscalation: AlertSummary | null;
}

export interface Preferences {
  /** OS notifications without values or names ("Critical lab result — open Alert Monitor"). */
  privacyMode: boolean;
  /** Also interrupt for high-priority alerts (stat/urgent orders), not only critical ones. */
  notifyHigh: boolean;
  /** The page sounds a cue (Web Audio) for criticals, repeating until each has been opened. */
  audibleCue: boolean;
}

export interface LaunchAtLogin {
  /** False where the host cannot register (browser host). */
  supported: boolean;
  enabled: boolean;
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

/**
 * Why a call was refused: nobody signed in; the user's grant does not cover it; an acknowledgment (or an
 * escalation answer) about another patient than the page showed; a critical not opened first.
 */
export type RefusalCode = 'sign-in-required' | 'not-permitted' | 'wrong-patient' | 'not-opened';

/**
 * A call refused by the workstation's access rules (docs/architecture.md, "Workstation modes") or by the
 * acknowledgment's checks (the right patient, opened first). Nothing changed; the message says what to
 * do ("Sign in …", "Not permitted …", "Refused: open the result first …"). Hosts answer it as 403.
 */
export class ApiRefusedError extends Error {
  override readonly name = 'ApiRefusedError';
  readonly code: RefusalCode;
  constructor(code: RefusalCode, message: string) {
    super(message);
    this.code = code;
  }
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
