// Client authentication at the token, revocation and introspection endpoints: public clients by
// client_id, Backend Services clients by a `private_key_jwt` assertion (SMART Backend Services and
// SMART App Launch "authentication JWT" headers: alg RS384/ES384, kid, typ JWT).
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { BackendClientRegistration, PublicClientRegistration } from './clients.ts';
import type { AuthContext } from './context.ts';
import type { Params } from './errors.ts';
import { OAuthError } from './errors.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGS = ['RS384', 'ES384'];
const MAX_ASSERTION_LIFETIME_S = 300;
/** Clock skew tolerated between client and server, for exp and for an iat slightly ahead. */
export const CLOCK_TOLERANCE_S = 5;

export type AuthenticatedClient =
  | { kind: 'public'; client: PublicClientRegistration }
  | { kind: 'backend'; client: BackendClientRegistration };

/** Authenticates the caller of the token, revocation and introspection endpoints. */
export async function authenticateClient(
  ctx: AuthContext,
  params: Params,
  authorizationHeader: string | undefined,
): Promise<AuthenticatedClient> {
  if (authorizationHeader && /^basic /i.test(authorizationHeader)) {
    throw new OAuthError('invalid_client', 'client secrets are not supported', 401);
  }
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    return { kind: 'backend', client: await verifyClientAssertion(ctx, params) };
  }
  const client = ctx.clients.get(params.client_id);
  if (!client) throw new OAuthError('invalid_client', 'unknown client', 401);
  if (client.kind !== 'public')
    throw new OAuthError('invalid_client', 'this client must authenticate with private_key_jwt', 401);
  return { kind: 'public', client };
}

const refuse = (reason: string): OAuthError => new OAuthError('invalid_client', reason, 401);

function readAssertion(assertion: string): {
  iss: unknown;
  header: ReturnType<typeof decodeProtectedHeader>;
} {
  try {
    return { iss: decodeJwt(assertion).iss, header: decodeProtectedHeader(assertion) };
  } catch {
    throw refuse('client_assertion is not a JWT');
  }
}

/** The header SMART requires of an authentication JWT: alg RS384/ES384, a kid, and typ "JWT". */
function checkHeader(header: ReturnType<typeof decodeProtectedHeader>): void {
  if (typeof header.kid !== 'string' || header.kid.length === 0) {
    throw refuse('client_assertion header must carry kid');
  }
  if (typeof header.alg !== 'string' || !ASSERTION_ALGS.includes(header.alg)) {
    throw refuse('client_assertion alg must be RS384 or ES384');
  }
  if (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT') {
    throw refuse('client_assertion header must carry typ "JWT"');
  }
}

async function verifyClientAssertion(ctx: AuthContext, params: Params): Promise<BackendClientRegistration> {
  if (params.client_assertion_type !== JWT_BEARER) {
    throw refuse(`client_assertion_type must be ${JWT_BEARER}`);
  }
  const assertion = params.client_assertion;
  if (!assertion) throw refuse('client_assertion is required');
  const { iss, header } = readAssertion(assertion);
  const client = typeof iss === 'string' ? ctx.clients.get(iss) : undefined;
  if (!client || client.kind !== 'backend') throw refuse('unknown client');
  if (params.client_id !== undefined && params.client_id !== client.clientId) {
    throw refuse('client_id does not match the assertion issuer');
  }
  checkHeader(header);
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      algorithms: ASSERTION_ALGS,
      issuer: client.clientId,
      subject: client.clientId,
      audience: ctx.endpoints.token,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (error) {
    const reason = error instanceof joseErrors.JOSEError ? error.code : 'verification failed';
    throw refuse(`client_assertion rejected (${reason})`);
  }
  const nowS = Date.now() / 1000;
  const exp = payload.exp ?? 0;
  if (exp - nowS > MAX_ASSERTION_LIFETIME_S + CLOCK_TOLERANCE_S) {
    throw refuse('client_assertion exp is more than 5 minutes ahead');
  }
  // An assertion "issued" in the future was made on a wrong clock or to outlive its own exp check.
  if (payload.iat !== undefined && payload.iat > nowS + CLOCK_TOLERANCE_S) {
    throw refuse('client_assertion iat is in the future');
  }
  const jti = payload.jti ?? '';
  if (jti.length === 0 || jti.length > 256) throw refuse('client_assertion jti is invalid');
  if (!ctx.store.recordJti(client.clientId, jti, (exp + CLOCK_TOLERANCE_S) * 1000)) {
    throw refuse('client_assertion jti was already used');
  }
  return client;
}
