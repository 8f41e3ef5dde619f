// The fake Medplum's sign-in, as observed: SMART configuration without an ID-token algorithm, an OpenID
// configuration listing ES256/HS256/RS256, a JWKS with one ES256 key, ID and access tokens signed
// ES256 (`iss` with a trailing slash, `auth_time` fractional, `aud` only when the login named a
// client), redirect URIs matched exactly, the user step as `POST /auth/login` (the web app that
// normally shows the login page is not run), mandatory PKCE, a replayed code refused, rotating refresh
// tokens, none for the super admin. Backend clients (client_credentials with private_key_jwt, observed
// on 2026-12-02): the assertion verified against the client's keys (400 "Invalid client assertion
// signature" otherwise), the scope echoed, and an ES256 ID token sent even without `openid`, naming
// `ClientApplication/<id>` as fhirUser.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { Json, PeerLogin, PeerState, PeerUser } from './state.ts';

export interface SigningKey {
  privateKey: CryptoKey;
  jwk: JWK;
  kid: string;
}

export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid }, kid };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function tokenError(res: ServerResponse, error: string, description: string): void {
  send(res, 400, { error, error_description: description });
}

export function smartConfiguration(state: PeerState): Json {
  return {
    issuer: `${state.origin}/`,
    jwks_uri: `${state.origin}/.well-known/jwks.json`,
    authorization_endpoint: `${state.origin}/oauth2/authorize`,
    grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
    token_endpoint: `${state.origin}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    scopes_supported: ['patient/*.rs', 'user/*.cruds', 'openid', 'fhirUser', 'launch', 'offline_access'],
    response_types_supported: ['code'],
    capabilities: [
      'authorize-post',
      'client-public',
      'launch-standalone',
      'permission-user',
      'sso-openid-connect',
    ],
    code_challenge_methods_supported: ['S256'],
  };
}

function openidConfiguration(state: PeerState): Json {
  return {
    ...smartConfiguration(state),
    id_token_signing_alg_values_supported: ['ES256', 'HS256', 'RS256'],
    code_challenge_methods_supported: ['S256', 'plain'],
  };
}

/** `GET /oauth2/authorize`: an unregistered redirect URI is refused; otherwise off to the web app. */
function authorize(state: PeerState, url: URL, res: ServerResponse): void {
  const client = state.clients.find((c) => c.id === url.searchParams.get('client_id'));
  const redirect = url.searchParams.get('redirect_uri') ?? '';
  if (!client) return send(res, 400, { error: 'Client not found' });
  if (!client.redirectUris.includes(redirect)) return send(res, 400, { error: 'Invalid redirect URI' });
  res.writeHead(302, { Location: `http://127.0.0.1:3000/oauth?${url.searchParams.toString()}` });
  res.end();
}

/** `POST /auth/login`: the user step, as the web app would send it. */
function login(state: PeerState, body: Json, res: ServerResponse): void {
  const user = state.users.find((u) => u.email === body['email'] && u.password === body['password']);
  if (!user) return send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error' }] });
  const entry: PeerLogin = {
    code: randomBytes(16).toString('hex'),
    user,
    clientId: typeof body['clientId'] === 'string' ? body['clientId'] : null,
    scope: typeof body['scope'] === 'string' ? body['scope'] : 'openid',
    nonce: typeof body['nonce'] === 'string' ? body['nonce'] : randomUUID(),
    codeChallenge: typeof body['codeChallenge'] === 'string' ? body['codeChallenge'] : null,
    granted: false,
    authTime: Date.now() / 1000,
  };
  state.logins.set(entry.code, entry);
  send(res, 200, { login: randomUUID(), code: entry.code });
}

async function issueTokens(
  state: PeerState,
  key: SigningKey,
  user: PeerUser,
  clientId: string | null,
  scope: string,
  nonce: string | null,
  authTime: number,
  /** A backend client gets an ID token whether or not it asked for `openid`. */
  alwaysIdToken = false,
): Promise<Json> {
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Json) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
      .setIssuer(`${state.origin}/`)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 3600)
      .sign(key.privateKey);
  const access = await sign({ sub: user.profile, scope, ...(clientId ? { client_id: clientId } : {}) });
  state.tokens.set(access, user);
  const idToken =
    alwaysIdToken || scope.split(' ').includes('openid')
      ? await sign({
          sub: user.profile,
          fhirUser: user.profile,
          ...(nonce ? { nonce } : {}),
          // Medplum: fractional seconds, and possibly a little after iat.
          auth_time: authTime,
          ...(clientId ? { aud: clientId, client_id: clientId } : {}),
        })
      : null;
  const refresh = user.refreshTokens && scope.split(' ').includes('offline_access') ? randomUUID() : null;
  if (refresh) state.refreshTokens.set(refresh, { user, clientId, scope });
  return {
    token_type: 'Bearer',
    expires_in: 3600,
    scope,
    access_token: access,
    ...(idToken ? { id_token: idToken } : {}),
    ...(refresh ? { refresh_token: refresh } : {}),
    profile: { reference: user.profile },
    need_patient_banner: false,
  };
}

/** A backend client's token request: its signed assertion checked against its registered keys. */
async function clientCredentials(
  state: PeerState,
  key: SigningKey,
  form: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const assertion = form.get('client_assertion') ?? '';
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    return tokenError(res, 'invalid_request', 'Unsupported client assertion type');
  let issuer: unknown;
  try {
    issuer = decodeJwt(assertion).iss;
  } catch {
    return tokenError(res, 'invalid_request', 'Invalid client assertion');
  }
  const client = state.clients.find((c) => c.id === issuer);
  if (!client?.jwks) return tokenError(res, 'invalid_request', 'Client not found');
  try {
    await jwtVerify(assertion, createLocalJWKSet({ keys: client.jwks as JWK[] }), {
      audience: `${state.origin}/oauth2/token`,
    });
  } catch {
    return tokenError(res, 'invalid_request', 'Invalid client assertion signature');
  }
  const profile = `ClientApplication/${client.id}`;
  const app: PeerUser = { email: '', password: '', profile, refreshTokens: false };
  const tokens = await issueTokens(
    state,
    key,
    app,
    client.id,
    form.get('scope') ?? '',
    null,
    Date.now() / 1000,
    true,
  );
  send(res, 200, tokens);
}

async function token(
  state: PeerState,
  key: SigningKey,
  form: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  if (form.get('grant_type') === 'client_credentials') return clientCredentials(state, key, form, res);
  if (form.get('grant_type') === 'refresh_token') {
    const entry = state.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!entry) return tokenError(res, 'invalid_request', 'Invalid token');
    state.refreshTokens.delete(form.get('refresh_token') ?? ''); // rotation
    return send(
      res,
      200,
      await issueTokens(state, key, entry.user, entry.clientId, entry.scope, null, Date.now() / 1000),
    );
  }
  const entry = state.logins.get(form.get('code') ?? '');
  if (!entry) return tokenError(res, 'invalid_request', 'Invalid code');
  if (entry.granted) return tokenError(res, 'invalid_grant', 'Token already granted');
  if (entry.codeChallenge === null) return tokenError(res, 'invalid_request', 'Missing verification context');
  const verifier = form.get('code_verifier') ?? '';
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  if (challenge !== entry.codeChallenge) return tokenError(res, 'invalid_request', 'Invalid code verifier');
  entry.granted = true;
  send(
    res,
    200,
    await issueTokens(state, key, entry.user, entry.clientId, entry.scope, entry.nonce, entry.authTime),
  );
}

/** Handles the sign-in routes; false when the request is not one of them. */
export async function handleAuth(
  state: PeerState,
  key: SigningKey,
  req: IncomingMessage,
  url: URL,
  body: string,
  res: ServerResponse,
): Promise<boolean> {
  const path = url.pathname;
  if (path === `${new URL(state.fhirBase).pathname}/.well-known/smart-configuration`) {
    send(res, 200, smartConfiguration(state));
  } else if (path === '/.well-known/openid-configuration') {
    send(res, 200, openidConfiguration(state));
  } else if (path === '/.well-known/jwks.json') {
    send(res, 200, { keys: [key.jwk] });
  } else if (path === '/oauth2/authorize' && req.method === 'GET') {
    authorize(state, url, res);
  } else if (path === '/auth/login' && req.method === 'POST') {
    login(state, JSON.parse(body || '{}') as Json, res);
  } else if (path === '/oauth2/token' && req.method === 'POST') {
    await token(state, key, new URLSearchParams(body), res);
  } else {
    return false;
  }
  return true;
}
