// What this app monitors: the local demo (the embedded server and its ward simulator on loopback, the
// zero-config `npm start`) or the hospital FHIR servers a deployment names. The composition root
// (compose.ts) takes nothing else about it, so whatever produces an AppMode (today the hosts' default,
// later a validated deployment configuration file written by hospital IT) plugs in without touching
// the hosts or the root.
import type { ServerChoice } from '../core/service.ts';

/**
 * A FHIR server the deployment names: its base URL, a display name and the SMART client id registered
 * there; optionally a fixed loopback redirect port and the scopes, for servers that need them.
 */
export type ConfiguredServer = Omit<ServerChoice, 'role'>;

export interface LocalDemoMode {
  kind: 'local-demo';
  /** Simulated seconds per real second; 0 seeds the wards but keeps the clock still. Default 60. */
  simulationRate?: number;
  /** Where the simulated clock starts (epoch ms), e.g. just before the morning draw. Default: now. */
  simulationStart?: number;
  /** Lifetime of the embedded server's access tokens. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** The embedded server's port. Default: an ephemeral one. */
  port?: number;
}

export interface ServersMode {
  kind: 'servers';
  /** The first is where sign-in goes when the user names no server; empty: the user types one. */
  servers: readonly ConfiguredServer[];
}

export type AppMode = LocalDemoMode | ServersMode;

/** What `npm start` runs when nothing else is chosen. */
export const LOCAL_DEMO_MODE: AppMode = { kind: 'local-demo' };
