// The fake Medplum's in-memory state: resources with their versions, subscriptions, the tokens it
// issued, and everything it was asked (tests assert on requests). See ../fhir-peer.ts for what is
// reproduced and where it was observed.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type Json = Record<string, unknown>;

export interface StoredResource {
  current: Json;
  deleted: boolean;
}

export interface PeerSubscription {
  resource: Json;
  /** Websocket subscriptions live only in Medplum's cache (Redis): never in a search result. */
  cacheOnly: boolean;
}

export interface PeerUser {
  email: string;
  password: string;
  /** `Practitioner/<id>`: the fhirUser claim and meta.author of what the user writes. */
  profile: string;
  /** Medplum's super admin gets no refresh token; an ordinary project user does. */
  refreshTokens: boolean;
}

export interface PeerClient {
  id: string;
  redirectUris: string[];
  /**
   * A backend client's public keys (private_key_jwt): Medplum reads them from the ClientApplication's
   * `jwksUri` at each token request; the peer holds them.
   */
  jwks?: Json[];
}

export interface PeerLogin {
  code: string;
  user: PeerUser;
  clientId: string | null;
  scope: string;
  nonce: string;
  codeChallenge: string | null;
  granted: boolean;
  authTime: number;
}

export interface PeerState {
  origin: string;
  fhirBase: string;
  resources: Map<string, StoredResource>;
  subscriptions: Map<string, PeerSubscription>;
  /** Access tokens the peer accepts, with the user they belong to (null: the fixed test token). */
  tokens: Map<string, PeerUser | null>;
  refreshTokens: Map<string, { user: PeerUser; clientId: string | null; scope: string }>;
  logins: Map<string, PeerLogin>;
  /** Websocket binding tokens the peer issued, with the subscription each names. */
  bindingTokens: Map<string, string>;
  users: PeerUser[];
  clients: PeerClient[];
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }>;
  lastUpdated: number;
}

export function newState(users: PeerUser[], clients: PeerClient[], fixedToken: string): PeerState {
  return {
    origin: '',
    fhirBase: '',
    resources: new Map(),
    subscriptions: new Map(),
    tokens: new Map([[fixedToken, null]]),
    refreshTokens: new Map(),
    logins: new Map(),
    bindingTokens: new Map(),
    users,
    clients,
    requests: [],
    lastUpdated: 0,
  };
}

/** A strictly increasing `meta.lastUpdated` (ms resolution, like Medplum's). */
export function nextInstant(state: PeerState): string {
  state.lastUpdated = Math.max(Date.now(), state.lastUpdated + 1);
  return new Date(state.lastUpdated).toISOString();
}

/** Medplum's version ids are UUIDs, not counters. */
export function newVersionId(): string {
  return randomUUID();
}
