// OAuth protocol logic of the local SMART authorization server (framework-free; the routes call these):
// the authorization request, approval, the token endpoint's three grants, revocation and introspection.
// Client authentication is in client-auth.ts; what a grant may contain is decided by policy.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { parseScope, splitScopeString } from '../base/scopes.ts';
import { DEMO_USERS } from '../demo-users.ts';
import type { DemoUser } from '../demo-users.ts';
import type { BackendClientRegistration, ClientRegistration, PublicClientRegistration } from './clients.ts';
import { redirectUriMatches } from './clients.ts';
import { authenticateClient } from './client-auth.ts';
import type { AuthContext } from './context.ts';
import type { Params } from './errors.ts';
import { OAuthError } from './errors.ts';
import { grantForClient, hasResourceScope, scopeProblem } from './policy.ts';
import type { GrantRow } from './store.ts';
import { randomId } from './store.ts';

export { OAuthError } from './errors.ts';
export type { Params } from './errors.ts';

const BACKEND_TOKEN_MAX_MS = 300_000;
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------- authorize

export interface PendingRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  scopes: string[];
  nonce: string | null;
  launchPatient: boolean;
}

/** A problem with client_id / redirect_uri: the user must not be redirected (shown as an HTML page). */
export class UntrustedRedirectError extends Error {}

/** An error to be returned to the client by redirect (RFC 6749 §4.1.2.1). */
export class RedirectableError extends OAuthError {
  readonly redirectUri: string;
  readonly state: string | undefined;
  constructor(error: string, description: string, redirectUri: string, state: string | undefined) {
    super(error, description);
    this.redirectUri = redirectUri;
    this.state = state;
  }
}

export function authorizationRedirect(
  ctx: AuthContext,
  redirectUri: string,
  params: Record<string, string | undefined>,
) {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(key, value);
  url.searchParams.set('iss', ctx.issuer);
  return url.href;
}

/** Validates an authorization request; throws UntrustedRedirectError or RedirectableError. */
export function validateAuthorizeRequest(
  ctx: AuthContext,
  params: Params,
  duplicates: string[],
): PendingRequest {
  if (duplicates.includes('client_id') || duplicates.includes('redirect_uri')) {
    throw new UntrustedRedirectError('client_id and redirect_uri must appear once.');
  }
  const client = ctx.clients.get(params.client_id);
  if (!client) throw new UntrustedRedirectError('Unknown client_id.');
  if (client.kind !== 'public') {
    throw new UntrustedRedirectError('This client is registered for backend services only.');
  }
  const redirectUri = params.redirect_uri;
  if (!redirectUri) throw new UntrustedRedirectError('redirect_uri is required.');
  if (!client.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))) {
    throw new UntrustedRedirectError('redirect_uri does not match a registered redirect URI of this client.');
  }
  const state = params.state;
  const fail = (error: string, description: string): never => {
    throw new RedirectableError(error, description, redirectUri, state);
  };
  if (duplicates.length > 0) fail('invalid_request', `parameters repeated: ${duplicates.join(', ')}`);
  if (params.response_type !== 'code') fail('unsupported_response_type', 'response_type must be code');
  if (params.request !== undefined || params.request_uri !== undefined) {
    fail('request_not_supported', 'request objects are not supported');
  }
  if (!state) fail('invalid_request', 'state is required');
  if (state && state.length > 1024) fail('invalid_request', 'state is too long');
  if (params.code_challenge_method !== 'S256')
    fail('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  if (!params.code_challenge || !CHALLENGE.test(params.code_challenge)) {
    fail('invalid_request', 'code_challenge must be a base64url SHA-256 value');
  }
  const aud = params.aud ?? params.resource;
  if (!aud) fail('invalid_request', 'aud is required (the FHIR base URL)');
  if (aud && stripSlash(aud) !== ctx.fhirBase)
    fail('invalid_request', 'aud is not the FHIR base URL of this server');
  if (params.prompt === 'none') fail('login_required', 'interactive sign-in is required');
  const scopes = grantableScopes(ctx, client, splitScopeString(params.scope), (invalid, reason) =>
    fail('invalid_scope', `invalid scope: ${invalid} (${reason})`),
  );
  if (!hasResourceScope(scopes)) fail('invalid_scope', 'no grantable resource scope requested');
  return {
    clientId: client.clientId,
    redirectUri,
    state: state ?? '',
    codeChallenge: params.code_challenge ?? '',
    scopes,
    nonce: params.nonce ?? null,
    launchPatient: scopes.includes('launch/patient'),
  };
}

/**
 * The requested scopes this kind of client may ask for: a malformed or unenforceable resource scope is an
 * error, unknown ones are dropped. The role's ceiling is applied later (policy.ts), per user or client.
 */
export function grantableScopes(
  ctx: AuthContext,
  client: ClientRegistration,
  requested: readonly string[],
  onInvalid: (scope: string, reason: string) => never,
): string[] {
  const granted: string[] = [];
  for (const scope of requested) {
    const problem = scopeProblem(scope, ctx.checkScopeQuery);
    if (problem) onInvalid(scope, problem);
    const parsed = parseScope(scope);
    if (client.kind === 'public') {
      if (parsed.kind === 'clinical' && parsed.scope.context !== 'system') granted.push(scope);
      else if (parsed.kind === 'identity' || parsed.kind === 'refresh') granted.push(scope);
      else if (parsed.kind === 'launch' && parsed.name === 'launch/patient') granted.push(scope);
    } else if (parsed.kind === 'clinical' && parsed.scope.context === 'system') {
      granted.push(scope);
    }
  }
  return granted;
}

export function findDemoUser(id: string | undefined): DemoUser | undefined {
  return DEMO_USERS.find((u) => u.id === id);
}

/**
 * Approves a pending request for `user` with `scopes` (what the consent page showed: the request within
 * the user's role ceiling): creates the grant and a single-use code; returns the redirect URL.
 */
export function approve(
  ctx: AuthContext,
  request: PendingRequest,
  user: DemoUser,
  scopes: readonly string[],
  patient: string | null,
): string {
  const now = Date.now();
  const grantId = ctx.store.createGrant(
    {
      clientId: request.clientId,
      subject: user.id,
      fhirUser: `Practitioner/${user.id}`,
      scopes,
      securityLabels: user.wards,
      patient,
    },
    now,
  );
  const code = ctx.store.createCode(
    grantId,
    request.clientId,
    request.redirectUri,
    request.codeChallenge,
    request.nonce,
    now,
    ctx.codeTtlMs,
  );
  return authorizationRedirect(ctx, request.redirectUri, { code, state: request.state });
}

// ---------------------------------------------------------------------------------------- token endpoint

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export async function tokenRequest(
  ctx: AuthContext,
  params: Params,
  authorizationHeader: string | undefined,
) {
  const grantType = params.grant_type;
  if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
  if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType)) {
    throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }
  // RFC 6749 §6 does not require a public client to send client_id when refreshing (fhirclient does not);
  // then the client is the one the refresh token was issued to.
  const anonymousRefresh =
    grantType === 'refresh_token' &&
    params.client_id === undefined &&
    params.client_assertion === undefined &&
    params.client_assertion_type === undefined &&
    authorizationHeader === undefined;
  const caller = await authenticateClient(
    ctx,
    anonymousRefresh ? { ...params, client_id: refreshTokenClient(ctx, params.refresh_token) } : params,
    authorizationHeader,
  );
  if (grantType === 'client_credentials') {
    if (caller.kind !== 'backend') {
      throw new OAuthError(
        'unauthorized_client',
        'client_credentials needs a backend-services client (private_key_jwt)',
      );
    }
    return clientCredentials(ctx, caller.client, params);
  }
  if (caller.kind !== 'public') {
    throw new OAuthError('unauthorized_client', 'backend-services clients may only use client_credentials');
  }
  return grantType === 'authorization_code'
    ? authorizationCode(ctx, caller.client, params)
    : refreshToken(ctx, caller.client, params);
}

function refreshTokenClient(ctx: AuthContext, token: string | undefined): string {
  const row = token ? ctx.store.findToken(token) : undefined;
  if (!row || row.kind !== 'refresh') throw new OAuthError('invalid_grant', 'unknown refresh token');
  return row.client_id;
}

/**
 * Redeems an authorization code. Any attempt that names a known code burns it first — wrong client,
 * redirect URI or verifier, or no verifier at all — so a code is never tried twice; a second attempt on
 * a burnt code is a replay and revokes the grant (RFC 6749 §4.1.2, RFC 9700 §4.5).
 */
async function authorizationCode(ctx: AuthContext, client: PublicClientRegistration, params: Params) {
  const { code, redirect_uri: redirectUri, code_verifier: verifier } = params;
  if (!code) throw new OAuthError('invalid_request', 'code is required');
  const row = ctx.store.findCode(code);
  if (!row) throw new OAuthError('invalid_grant', 'unknown authorization code');
  const now = Date.now();
  if (!ctx.store.useCode(row.hash, now)) {
    ctx.revokeGrant(row.grant_id, 'authorization code replayed');
    throw new OAuthError('invalid_grant', 'authorization code was already used; its grant is revoked');
  }
  if (row.client_id !== client.clientId) throw new OAuthError('invalid_grant', 'unknown authorization code');
  if (!redirectUri) throw new OAuthError('invalid_request', 'redirect_uri is required');
  if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
  if (row.expires_at <= now) throw new OAuthError('invalid_grant', 'authorization code expired');
  if (row.redirect_uri !== redirectUri)
    throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
  if (!VERIFIER.test(verifier) || !safeEqual(s256(verifier), row.code_challenge)) {
    throw new OAuthError('invalid_grant', 'code_verifier does not match code_challenge');
  }
  const grant = ctx.store.getGrant(row.grant_id);
  if (!grant || grant.revoked_at !== null) throw new OAuthError('invalid_grant', 'grant revoked');
  return issueTokens(ctx, grant, splitScopeString(grant.scopes), { nonce: row.nonce, refreshScopes: null });
}

async function refreshToken(ctx: AuthContext, client: PublicClientRegistration, params: Params) {
  const token = params.refresh_token;
  if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
  const row = ctx.store.findToken(token);
  if (!row || row.kind !== 'refresh' || row.client_id !== client.clientId) {
    throw new OAuthError('invalid_grant', 'unknown refresh token');
  }
  if (row.revoked_at !== null) throw new OAuthError('invalid_grant', 'grant revoked');
  const now = Date.now();
  if (!ctx.store.consumeToken(row.hash, now)) {
    ctx.revokeGrant(row.grant_id, 'refresh token reused');
    throw new OAuthError('invalid_grant', 'refresh token was already used; its grant is revoked');
  }
  if (row.expires_at <= now) throw new OAuthError('invalid_grant', 'refresh token expired');
  const tokenScopes = splitScopeString(row.scopes);
  let scopes = tokenScopes;
  if (params.scope !== undefined) {
    scopes = splitScopeString(params.scope);
    const extra = scopes.filter((s) => !tokenScopes.includes(s));
    if (extra.length > 0 || scopes.length === 0) {
      throw new OAuthError('invalid_scope', 'scope must be a subset of the originally granted scope');
    }
  }
  const grant = ctx.store.getGrant(row.grant_id);
  if (!grant) throw new OAuthError('invalid_grant', 'grant revoked');
  return issueTokens(ctx, grant, scopes, { nonce: null, refreshScopes: tokenScopes });
}

async function clientCredentials(ctx: AuthContext, client: BackendClientRegistration, params: Params) {
  const requested = grantableScopes(ctx, client, splitScopeString(params.scope), (invalid, reason) => {
    throw new OAuthError('invalid_scope', `invalid scope: ${invalid} (${reason})`);
  });
  const scopes = grantForClient(requested, client).granted;
  if (!hasResourceScope(scopes)) {
    throw new OAuthError(
      'invalid_scope',
      'no requested system/ scope is within what this client may be granted',
    );
  }
  const now = Date.now();
  const grantId = ctx.store.createGrant(
    {
      clientId: client.clientId,
      subject: client.clientId,
      fhirUser: null,
      scopes,
      securityLabels: client.securityLabels,
      patient: null,
    },
    now,
  );
  const ttlMs = Math.min(ctx.accessTtlMs, BACKEND_TOKEN_MAX_MS);
  const access = ctx.store.issueToken(grantId, 'access', scopes, now, ttlMs);
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: Math.round(ttlMs / 1000),
    scope: scopes.join(' '),
  };
}

async function issueTokens(
  ctx: AuthContext,
  grant: GrantRow,
  scopes: string[],
  options: { nonce: string | null; refreshScopes: string[] | null },
): Promise<Record<string, string | number | boolean>> {
  const now = Date.now();
  const access = ctx.store.issueToken(grant.id, 'access', scopes, now, ctx.accessTtlMs);
  const body: Record<string, string | number | boolean> = {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: Math.round(ctx.accessTtlMs / 1000),
    scope: scopes.join(' '),
  };
  const refreshScopes = options.refreshScopes ?? scopes;
  if (refreshScopes.includes('offline_access') || refreshScopes.includes('online_access')) {
    body.refresh_token = ctx.store.issueToken(
      grant.id,
      'refresh',
      refreshScopes,
      now,
      ctx.refreshTtlMs,
    ).token;
  }
  if (scopes.includes('openid') && grant.fhir_user !== null) {
    const claims: Record<string, string> = {};
    if (scopes.includes('fhirUser')) claims.fhirUser = grant.fhir_user;
    if (options.nonce !== null) claims.nonce = options.nonce;
    body.id_token = await new SignJWT(claims)
      .setProtectedHeader({ alg: ctx.signingKey.alg, kid: ctx.signingKey.kid, typ: 'JWT' })
      .setIssuer(ctx.issuer)
      .setSubject(grant.subject)
      .setAudience(grant.client_id)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + Math.max(300, Math.round(ctx.accessTtlMs / 1000)))
      .setJti(randomId())
      .sign(ctx.signingKey.privateKey);
  }
  if (grant.fhir_user !== null) {
    if (grant.patient !== null) body.patient = grant.patient;
    body.need_patient_banner = grant.patient !== null;
  }
  return body;
}

// ----------------------------------------------------------------------------- revocation, introspection

/** RFC 7009. Revoking any token of a grant ends the whole grant (sign-out semantics). */
export async function revocationRequest(
  ctx: AuthContext,
  params: Params,
  authorizationHeader: string | undefined,
) {
  const caller = await authenticateClient(ctx, params, authorizationHeader);
  if (!params.token) throw new OAuthError('invalid_request', 'token is required');
  const row = ctx.store.findToken(params.token);
  if (row && row.client_id === caller.client.clientId)
    ctx.revokeGrant(row.grant_id, 'token revoked by client');
}

/** RFC 7662 + SMART token introspection. Backend clients may introspect any token; public clients their own. */
export async function introspectionRequest(
  ctx: AuthContext,
  params: Params,
  authorizationHeader: string | undefined,
) {
  const caller = await authenticateClient(ctx, params, authorizationHeader);
  if (!params.token) throw new OAuthError('invalid_request', 'token is required');
  const row = ctx.store.findToken(params.token);
  const now = Date.now();
  if (
    !row ||
    row.revoked_at !== null ||
    row.expires_at <= now ||
    row.consumed_at !== null ||
    (caller.kind === 'public' && row.client_id !== caller.client.clientId)
  ) {
    return { active: false };
  }
  const body: Record<string, unknown> = {
    active: true,
    scope: row.scopes,
    client_id: row.client_id,
    sub: row.subject,
    iss: ctx.issuer,
    aud: ctx.fhirBase,
    exp: Math.floor(row.expires_at / 1000),
    iat: Math.floor(row.issued_at / 1000),
    token_type: row.kind === 'access' ? 'Bearer' : 'refresh_token',
  };
  if (row.fhir_user !== null) body.fhirUser = row.fhir_user;
  if (row.patient !== null) body.patient = row.patient;
  return body;
}

export function isPendingRequest(value: unknown): value is PendingRequest {
  return typeof value === 'object' && value !== null && 'clientId' in value && 'redirectUri' in value;
}
