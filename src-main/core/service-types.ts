// What the monitor service (service.ts) is given and gives: the host's options, the sign-in it
// composes, and the service API the hosts move across their transport.
import type { HostEvent, HostInfo, MonitorHandlers, UserRole, VerificationTargets } from '../shared/api.ts';
import type { Logger } from './log.ts';
import type { MonitorSession, Notifier, TopicRequest } from './ports.ts';
import type { ClientStore } from './store/client-store.ts';
import type { AlertingOptions } from './alerting/alerting.ts';
import type { RulesHolder } from './rules/rules-holder.ts';
import type { RememberedServer } from './workstation/last-session.ts';
import type { WardSession } from './workstation/ward-watch.ts';
import type { OrderChecksHolder } from './rules/order-checks-holder.ts';

/** What a sign-in produces; the SMART client's session satisfies it structurally. */
export interface SignedInSession extends MonitorSession {
  needPatientBanner: boolean;
  onChange(
    listener: (state: { state: 'signed-in' | 'signed-out'; reason: string | null }) => void,
  ): () => void;
  signOut(): Promise<void>;
}

/**
 * A server to sign in to: what is remembered of a sign-in (its `role` is which scopes to ask for, `any`:
 * what any role may need; the user's role itself comes from her identity after sign-in), and what the
 * deployment adds.
 */
export interface ServerChoice extends RememberedServer {
  /** Origins besides the FHIR server's where its authorization page may be (deployment allow-list). */
  authorizationOrigins?: string[];
  /** Origins besides the FHIR server's that its stream URLs may name (channels/origin-guard.ts). */
  streamOrigins?: string[];
  /** The embedded demo server (local mode): named so on the sign-in page. */
  localDemo?: boolean;
}

export interface SignInContext {
  /** Hand the authorization URL to the user (system browser, or the page in the browser host). */
  openUrl(url: string): Promise<void>;
}

/** A ward workstation (docs/deployment.md): the ward watched continuously under a ward identity. */
export interface WardWorkstation {
  kind: 'ward';
  /** The ward's label, e.g. "ward-a" (shown on the locked screen). */
  ward: string;
  /** The server the ward is watched on; clinicians sign in there, and only there, at this screen. */
  server: Omit<ServerChoice, 'role'>;
  /** The ward identity's principal, `client/<backend client id>` (store/owners.ts). */
  principal: string;
  /** Sign the ward identity in (SMART Backend Services; the composition root holds the key). */
  signIn(): Promise<WardSession>;
  /** What the ward watches. */
  topics: TopicRequest[];
  /** Retry a failed ward sign-in after this long. Default 30 s. */
  retryMs?: number;
}

export interface ServiceOptions {
  dataDir: string;
  host: HostInfo;
  notifier: Notifier;
  logger: Logger;
  /** The server used when sign-in names none (the embedded demo server in local mode). */
  defaultServer: Omit<ServerChoice, 'role'> | null;
  /**
   * Servers the deployment configured: a sign-in naming one of them gets its configured settings
   * (allowed authorization and stream origins, redirect port, scopes) unless the call overrides them.
   */
  configuredServers?: ReadonlyArray<Omit<ServerChoice, 'role'>>;
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
  /**
   * The first time a user (or the ward identity) watches a server here, the open critical results of
   * this many hours before are read back (core/monitor/read-back.ts; 0: none). Default 12.
   */
  readBackHours?: number;
  /**
   * Called once the monitor is subscribed and streaming, with the role whose topics it streams (the
   * local demo uses it to emit a result a nurse, or an order a pharmacist, is shown).
   */
  onSubscribed?(role: UserRole | null): void;
  /** The active rules; the composition root resolves the rules file path. */
  rules?: RulesHolder;
  /** Closed-loop timers, export location and launch-at-login hook. */
  alerting?: Partial<
    Pick<
      AlertingOptions,
      | 'repeatMinutes'
      | 'exportDir'
      | 'launchAtLogin'
      | 'now'
      | 'tickMs'
      | 'writebackBackoff'
      | 'escalationPolicy'
    > & {
      /** Escalate a critical not acknowledged within this long. Default 10 minutes. */
      ackTimeoutMinutes: number;
      /** Critical-result communication target. Default 30 minutes. */
      targetMinutes: number;
    }
  >;
  /** Tiers that raise an OS notification (default critical; "configurably, high"). */
  interruptTiers?: Array<'critical' | 'high'>;
  /** Personal (default: a person's own machine) or a ward's shared workstation. */
  workstation?: { kind: 'personal' } | WardWorkstation;
  /** The pharmacist's worklist (docs/pharmacy.md): the order-checks file and verification targets. */
  pharmacy?: { checks?: OrderChecksHolder; targets?: Partial<VerificationTargets> };
}

export interface MonitorService {
  handlers: MonitorHandlers;
  onEvent(listener: (event: HostEvent) => void): () => void;
  /** Push a host-originated event (in-page notification, notification click) to the renderer. */
  publish(event: HostEvent): void;
  store: ClientStore;
  close(): Promise<void>;
}
