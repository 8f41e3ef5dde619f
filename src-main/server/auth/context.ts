// Shared state of one authorization-server instance, handed to the route handlers.
import type pino from 'pino';
import type { ClientRegistry } from './clients.ts';
import type { SigningKey } from './keys.ts';
import type { ScopeQueryCheck } from './policy.ts';
import type { AuthStore } from './store.ts';

export interface AuthContext {
  store: AuthStore;
  clients: ClientRegistry;
  origin: string;
  fhirBase: string;
  /** `origin + '/auth'`: the `iss` of ID tokens and of authorization responses (RFC 9207). */
  issuer: string;
  endpoints: { authorize: string; token: string; revoke: string; introspect: string; jwks: string };
  accessTtlMs: number;
  refreshTtlMs: number;
  codeTtlMs: number;
  requestTtlMs: number;
  signingKey: SigningKey;
  logger: pino.Logger | undefined;
  listPatients: (() => { id: string; display: string }[]) | undefined;
  /** Whether a granular scope's conditions can be enforced; without it, scope queries are refused. */
  checkScopeQuery: ScopeQueryCheck | undefined;
  revokeGrant(grantId: string, reason: string): void;
}
