// What this app monitors: the local demo (the embedded server and its ward simulator on loopback, the
// zero-config `npm start`) or the hospital FHIR servers a deployment names; and how the workstation
// runs (a person's own machine, or a ward's shared screen). The composition root (compose.ts) takes
// nothing else about the deployment: the hosts' default, or a validated deployment configuration file
// written by hospital IT (config.ts, docs/deployment.md), produces an AppMode.
import type { EscalationPolicy } from '../core/alerting/escalation-policy.ts';
import type { ServerChoice } from '../core/service.ts';

/**
 * A FHIR server the deployment names: its base URL, a display name and the SMART client id registered
 * there; optionally a fixed loopback redirect port, the scopes, and the extra origins its authorization
 * page and its streams may be on.
 */
export type ConfiguredServer = Omit<ServerChoice, 'role'>;

/** The ward identity of a ward workstation: a SMART Backend Services client for one ward. */
export interface WardIdentity {
  /** The backend client id registered at the server for this ward's workstations. */
  clientId: string;
  /** The ward it watches: the ward label its registration is limited to, e.g. "ward-a". */
  ward: string;
  /**
   * The private key (JWK with `kid`, RS384 or ES384, 0600). Null in local-demo mode only: the demo
   * makes a key pair in the data directory and registers its public half with the embedded server.
   */
  privateKeyFile: string | null;
  /** System scopes to request; default the clinical reads and Subscription management. */
  scopes?: string[];
}

export type WorkstationSetting = { kind: 'personal' } | { kind: 'ward'; identity: WardIdentity };

/** What a deployment configuration sets besides the servers (all optional: the defaults stand). */
export interface DeploymentSettings {
  /** Personal (default) or ward workstation. */
  workstation?: WorkstationSetting;
  /** OS notifications without values or names until a user changes it (default off). */
  privacyDefault?: boolean;
  /**
   * The first time a user (or the ward identity) watches a server here, the open critical results of
   * this many hours before are read back into the feed (0: none). Default 12.
   */
  readBackHours?: number;
  escalation?: {
    /** Escalate a critical not acknowledged within this long. Default 10. */
    ackTimeoutMinutes?: number;
    /** The critical-result communication target. Default 30. */
    targetMinutes?: number;
    /** Re-notify an escalated critical this often. Default: the acknowledgment timeout. */
    repeatMinutes?: number;
    /**
     * Escalation to people: timed steps to roles of the alert's ward, ending in the fail-safe contact
     * list. Default: the demo's policy in local-demo mode; none (this screen is re-notified) otherwise.
     * null: none, in any mode.
     */
    policy?: EscalationPolicy | null;
  };
  /** The critical-value rules file instead of the one the app ships. */
  rulesFile?: string;
  /** The pharmacist's worklist (docs/pharmacy.md): verification targets, another order-checks file. */
  pharmacy?: {
    /** Minutes an order may wait for verification, per priority. Defaults: stat 15, urgent 30, routine 60. */
    targetMinutes?: { stat?: number; urgent?: number; routine?: number };
    orderChecksFile?: string;
  };
  /** Where the configuration came from (shown in logs and errors); null for the built-in default. */
  source?: string | null;
}

export interface LocalDemoMode extends DeploymentSettings {
  kind: 'local-demo';
  /** Simulated seconds per real second; 0 seeds the wards but keeps the clock still. Default 60. */
  simulationRate?: number;
  /** Where the simulated clock starts (epoch ms), e.g. just before the morning draw. Default: now. */
  simulationStart?: number;
  /**
   * Simulated minutes before the ward's attending answers a pharmacist's question; null: never.
   * Default 15.
   */
  prescriberAnswerMinutes?: number | null;
  /** Lifetime of the embedded server's access tokens. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** The embedded server's port. Default: an ephemeral one. */
  port?: number;
}

export interface ServersMode extends DeploymentSettings {
  kind: 'servers';
  /** The first is where sign-in goes when the user names no server; empty: the user types one. */
  servers: readonly ConfiguredServer[];
}

export type AppMode = LocalDemoMode | ServersMode;

/** What `npm start` runs when nothing else is chosen. */
export const LOCAL_DEMO_MODE: AppMode = { kind: 'local-demo' };
