// The local-mode SMART authorization server: creates and verifies the bearer tokens the embedded FHIR
// server accepts, and mounts the OAuth endpoints (/auth/*) and the SMART discovery document.
//
// Access tokens are opaque random strings; only their SHA-256 hash is stored. `verify()` hashes the token
// and does one indexed SQLite lookup (synchronous, a few microseconds), so revocation takes effect on the
// next request without any cache to invalidate. See docs/auth.md for the design.
import type { FastifyInstance } from 'fastify';
import type pino from 'pino';
import type { Db } from '../../lib/sqlite.ts';
import type { RoleName } from '../base/roles.ts';
import { normalizeScopes, parseScope, splitScopeString } from '../base/scopes.ts';
import { DEMO_USERS } from '../demo-users.ts';
import type { AccessGrant, TokenVerifier } from '../base/grant.ts';
import type { ClientRegistration } from './clients.ts';
import { ClientRegistry, DEMO_PUBLIC_CLIENT } from './clients.ts';
import { loadOrCreateSigningKey } from './keys.ts';
import type { ScopeQueryCheck } from './policy.ts';
import { checkIdentity, checkRegistration, grantForRole, grantForUser } from './policy.ts';
import { AuthStore } from './store.ts';
import type { AuthContext } from './context.ts';
import { registerAuthRoutes } from './routes.ts';

export type { ClientRegistration, BackendClientRegistration, PublicClientRegistration } from './clients.ts';
export type { AccessGrant, TokenVerifier } from '../base/grant.ts';
export type { ScopeQueryCheck } from './policy.ts';
export { parseScope, scopesAllow, normalizeScopes } from '../base/scopes.ts';

export interface AuthServerOptions {
  db: Db;
  /** e.g. `http://127.0.0.1:PORT` (no trailing slash). */
  origin: string;
  /** `origin + '/fhir'`: the only accepted `aud`. */
  fhirBase: string;
  accessTokenTtlSeconds: number;
  logger?: pino.Logger;
  /** Refresh-token lifetime (default 8 h). Refresh tokens are rotated on every use. */
  refreshTokenTtlSeconds?: number;
  /** Clients besides the built-in public DEMO_CLIENT_ID (e.g. backend-services clients with their JWKS). */
  clients?: ClientRegistration[];
  /** Patients offered on the sign-in page when `launch/patient` is requested; without it a text field. */
  listPatients?: () => { id: string; display: string }[];
  /**
   * Whether a granular scope's conditions (`Observation.rs?category=…`) can be enforced by the resource
   * server (the FHIR server supplies it from its search parameters). Without it every scope query is refused.
   */
  checkScopeQuery?: ScopeQueryCheck;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  grantId: string;
  /** What was granted: the requested scopes within the role's ceiling. */
  scopes: string[];
}

export interface AuthServer {
  verifier: TokenVerifier;
  /** Mounts /auth/* and GET {fhirBase}/.well-known/smart-configuration. */
  register(app: FastifyInstance): Promise<void>;
  /**
   * Mints an access token for a DEMO_USERS id without the browser flow (tests, unattended local setups),
   * within the user's role ceiling like any sign-in (what does not fit is left out, as on the consent page).
   */
  issueToken(input: { userId: string; clientId: string; scopes: string[]; ttlSeconds?: number }): IssuedToken;
  /**
   * Mints a `system/` token for an in-process service with a role and wards (what a Backend Services
   * registration with that role would get; tests use a `clinical-feed` to write clinical data).
   */
  issueServiceToken(input: {
    clientId: string;
    role: RoleName;
    securityLabels: string[];
    scopes: string[];
    ttlSeconds?: number;
  }): IssuedToken;
  revokeGrant(grantId: string): void;
  /** Adds or replaces a registered client (e.g. a backend-services client whose JWKS is configured later). */
  registerClient(client: ClientRegistration): void;
  close(): void;
}

const PURGE_INTERVAL_MS = 10 * 60_000;

export function createAuthServer(options: AuthServerOptions): AuthServer {
  if (!(options.accessTokenTtlSeconds > 0)) throw new Error('accessTokenTtlSeconds must be positive');
  const origin = options.origin.replace(/\/+$/, '');
  const fhirBase = options.fhirBase.replace(/\/+$/, '');
  for (const user of DEMO_USERS) checkIdentity(`demo user ${user.id}`, user.role, user.wards);
  for (const client of options.clients ?? []) if (client.kind === 'backend') checkRegistration(client);
  const store = new AuthStore(options.db);
  const clients = new ClientRegistry([DEMO_PUBLIC_CLIENT, ...(options.clients ?? [])]);
  const listeners = new Set<(grantIds: readonly string[]) => void>();

  const emitRevoked = (grantIds: readonly string[]): void => {
    if (grantIds.length === 0) return;
    for (const listener of listeners) {
      try {
        listener(grantIds);
      } catch (error) {
        options.logger?.error({ err: error }, 'auth: onRevoked listener failed');
      }
    }
  };

  const revoke = (grantId: string, reason: string): void => {
    if (store.revokeGrant(grantId, reason, Date.now())) {
      options.logger?.info({ grantId, reason }, 'auth: grant revoked');
      emitRevoked([grantId]);
    }
  };

  const issuer = `${origin}/auth`;
  const ctx: AuthContext = {
    store,
    clients,
    origin,
    fhirBase,
    issuer,
    endpoints: {
      authorize: `${issuer}/authorize`,
      token: `${issuer}/token`,
      revoke: `${issuer}/revoke`,
      introspect: `${issuer}/introspect`,
      jwks: `${issuer}/jwks`,
    },
    accessTtlMs: options.accessTokenTtlSeconds * 1000,
    refreshTtlMs: (options.refreshTokenTtlSeconds ?? 8 * 3600) * 1000,
    codeTtlMs: 60_000,
    requestTtlMs: 10 * 60_000,
    signingKey: loadOrCreateSigningKey(store, Date.now()),
    logger: options.logger,
    listPatients: options.listPatients,
    checkScopeQuery: options.checkScopeQuery,
    revokeGrant: revoke,
  };

  const verifier: TokenVerifier = {
    verify(bearerToken: string): AccessGrant | null {
      if (typeof bearerToken !== 'string' || !bearerToken.startsWith('at_') || bearerToken.length > 200)
        return null;
      const row = store.findToken(bearerToken);
      if (!row || row.kind !== 'access' || row.revoked_at !== null || row.expires_at <= Date.now())
        return null;
      return {
        tokenId: row.id,
        grantId: row.grant_id,
        clientId: row.client_id,
        subject: row.subject,
        fhirUser: row.fhir_user,
        scopes: normalizeScopes(splitScopeString(row.scopes)),
        securityLabels: JSON.parse(row.security_labels) as string[],
        expiresAt: row.expires_at,
      };
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const checkedScopes = (scopes: readonly string[]): string[] => {
    for (const scope of scopes) {
      if (parseScope(scope).kind === 'invalid') throw new Error(`invalid scope: ${scope}`);
    }
    return normalizeScopes(splitScopeString(scopes.join(' ')));
  };
  const mint = (
    who: { clientId: string; subject: string; fhirUser: string | null; securityLabels: readonly string[] },
    scopes: string[],
    ttlSeconds: number | undefined,
  ): IssuedToken => {
    const ttlMs = (ttlSeconds ?? options.accessTokenTtlSeconds) * 1000;
    if (!(ttlMs > 0)) throw new Error('ttlSeconds must be positive');
    const now = Date.now();
    const grantId = store.createGrant({ ...who, scopes, patient: null }, now);
    const { token } = store.issueToken(grantId, 'access', scopes, now, ttlMs);
    return { accessToken: token, expiresIn: Math.round(ttlMs / 1000), grantId, scopes };
  };

  store.purge(Date.now());
  const purgeTimer = setInterval(() => store.purge(Date.now()), PURGE_INTERVAL_MS);
  purgeTimer.unref();

  return {
    verifier,
    async register(app) {
      await registerAuthRoutes(app, ctx);
    },
    issueToken({ userId, clientId, scopes, ttlSeconds }) {
      const user = DEMO_USERS.find((u) => u.id === userId);
      if (!user) throw new Error(`unknown demo user: ${userId}`);
      const granted = grantForUser(checkedScopes(scopes), user).granted;
      return mint(
        { clientId, subject: user.id, fhirUser: `Practitioner/${user.id}`, securityLabels: user.wards },
        granted,
        ttlSeconds,
      );
    },
    issueServiceToken({ clientId, role, securityLabels, scopes, ttlSeconds }) {
      checkIdentity(`service ${clientId}`, role, securityLabels);
      const system = checkedScopes(scopes).filter((s) => s.startsWith('system/'));
      const granted = grantForRole(system, role).granted;
      return mint({ clientId, subject: clientId, fhirUser: null, securityLabels }, granted, ttlSeconds);
    },
    revokeGrant(grantId) {
      revoke(grantId, 'revoked by server');
    },
    registerClient(client) {
      if (client.kind === 'backend') checkRegistration(client);
      clients.set(client);
    },
    close() {
      clearInterval(purgeTimer);
      listeners.clear();
    },
  };
}
