// SMART on FHIR sign-in for the main process: standalone launch as a public client
// with PKCE S256, `state`, `aud` and an RFC 8252 loopback redirect; Backend Services with private_key_jwt.
// Tokens never leave this module except through SmartSession.accessToken(), called by main-process code.
import type { JsonWebKey, webcrypto } from 'node:crypto';
import type pino from 'pino';
import { importJWK } from 'jose';
import * as oc from 'openid-client';
import { discoverSmart, stripSlash } from './discovery.ts';
import { idTokenAlgorithms, metadataWithIdTokenAlgorithms, withIdTokenAlgorithms } from './id-token-alg.ts';
import { startLoopbackListener, type LoopbackListener } from './loopback.ts';
import type { SecretStore } from './secret-store.ts';
import { refreshTokenKey } from './secret-store.ts';
import { RefreshResponseTap, tokenFields } from './refresh-id-token.ts';
import { isRefusal } from './renewal.ts';
import { Session, describeError } from './session.ts';
import type { SmartSession, TokenResponse } from './session.ts';

export type { SmartSession, SessionStateName, RenewalStatus } from './session.ts';
export { SignedOutError } from './session.ts';
export { TokenRenewalPendingError } from './renewal.ts';
export type { SecretStore } from './secret-store.ts';

type CryptoKey = webcrypto.CryptoKey;
export { MemorySecretStore, refreshTokenKey } from './secret-store.ts';

const CLINICAL_READ = [
  'Patient',
  'Practitioner',
  'Location',
  'Encounter',
  'Observation',
  'DiagnosticReport',
  'Basic',
];

/** Least privilege for each role: read the clinical types it is alerted on, manage its own Subscription. */
const ROLE_SCOPES: { nurse: string[]; pharmacist: string[] } = {
  nurse: [
    'openid',
    'fhirUser',
    'offline_access',
    ...CLINICAL_READ.map((t) => `user/${t}.rs`),
    'user/MedicationRequest.rs',
    'user/Subscription.cruds',
    // Write-back of critical-result acknowledgments: PUT with a deterministic id = create once;
    // read to show the record back.
    'user/Communication.cru',
    // The closed loop across workstations (docs/alerting.md): who holds which role on which ward, and
    // escalation steps (read, issue, accept or decline). Asked as the plain type: a server that can
    // enforce scope queries narrows it by the role's ceiling (the embedded server grants only Tasks with
    // the escalation code); asking for the query itself would fail the whole sign-in (invalid_scope) on
    // an authorization server that cannot enforce one.
    'user/PractitionerRole.rs',
    'user/Group.rs',
    'user/Task.cru',
  ],
  pharmacist: [
    'openid',
    'fhirUser',
    'offline_access',
    ...CLINICAL_READ.map((t) => `user/${t}.rs`),
    'user/MedicationRequest.rs',
    'user/AllergyIntolerance.rs',
    'user/Subscription.cruds',
    'user/Communication.cru',
    // The prescribers' answers to clarification requests: a search of the patient's Communications.
    'user/Communication.rs',
    'user/PractitionerRole.rs',
    // Order verification (docs/pharmacy.md): the verification Task and a DetectedIssue per flag.
    'user/Task.rs',
    'user/Task.cru',
    'user/DetectedIssue.cru',
  ],
};

/**
 * The scopes asked for at sign-in, by role hint. Without a hint (`any`) the app asks for what any of
 * its roles may need; the server grants what the signed-in user's role allows (its ceiling), so the
 * role is the identity's, never a local choice.
 */
export const DEFAULT_SCOPES: { nurse: string[]; pharmacist: string[]; any: string[] } = {
  ...ROLE_SCOPES,
  any: [...new Set([...ROLE_SCOPES.nurse, ...ROLE_SCOPES.pharmacist])],
};

export interface InteractiveSignInOptions {
  fhirBase: string;
  clientId: string;
  scopes?: string[];
  /** Opens the authorization URL in the system browser (shell.openExternal in Electron). */
  openUrl: (url: string) => Promise<void>;
  /** A fixed loopback port for servers that match redirect URIs exactly; default: ephemeral. */
  redirectPort?: number;
  /**
   * The exact redirect URI registered for this client (`http://127.0.0.1:<port>/<path>`), for servers
   * that match it byte for byte (Medplum). Takes precedence over `redirectPort`.
   */
  redirectUri?: string;
  /** Default 5 minutes. */
  timeoutMs?: number;
  secretStore?: SecretStore;
  /** Permit plain http to a loopback FHIR base (the embedded local-mode server). */
  allowInsecureLoopback?: boolean;
  /** Renew this long before expiry (capped at half the token lifetime). Default 60. */
  refreshLeewaySeconds?: number;
  logger?: pino.Logger;
}

/**
 * SMART discovery, then the ID-token algorithms the server really signs with (id-token-alg.ts): a
 * server signing ES256 (Medplum) must not fail at the token endpoint for want of RS256.
 */
async function discoverForSignIn(
  fhirBase: string,
  clientId: string,
  allowInsecureLoopback: boolean,
): Promise<oc.Configuration> {
  const { config } = await discoverSmart(fhirBase, clientId, oc.None(), allowInsecureLoopback);
  return withIdTokenAlgorithms(config, clientId, await idTokenAlgorithms(config.serverMetadata()));
}

const LOOPBACK_REDIRECT = /^http:\/\/127\.0\.0\.1:(\d{1,5})(\/[A-Za-z0-9._~\-/]*)$/;

/**
 * Bind the loopback listener the redirect URI needs: exactly the registered one when given (same
 * port and path), else a fixed or ephemeral port. A port another program holds is said plainly.
 */
async function listenForRedirect(opts: InteractiveSignInOptions): Promise<LoopbackListener> {
  let port = opts.redirectPort ?? 0;
  let path = '/callback';
  if (opts.redirectUri !== undefined) {
    const match = LOOPBACK_REDIRECT.exec(opts.redirectUri);
    const fixed = match ? Number(match[1]) : 0;
    if (!match || fixed < 1 || fixed > 65535) {
      throw new Error(
        'the redirect URI must be http://127.0.0.1:<port>/<path> with an explicit port (RFC 8252 loopback redirect)',
      );
    }
    port = fixed;
    path = match[2] ?? '/callback';
  }
  try {
    return await startLoopbackListener(port, path);
  } catch (error) {
    if (port !== 0 && error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new Error(
        `the redirect URI registered for this client needs port ${port} on 127.0.0.1, which another program is using`,
        { cause: error },
      );
    }
    throw error;
  }
}

export async function signInInteractive(opts: InteractiveSignInOptions): Promise<SmartSession> {
  const fhirBase = stripSlash(opts.fhirBase);
  const scopes = opts.scopes ?? DEFAULT_SCOPES.nurse;
  const config = await discoverForSignIn(fhirBase, opts.clientId, opts.allowInsecureLoopback ?? false);
  const metadata = config.serverMetadata();
  if (!metadata.authorization_endpoint) throw new Error('the server does not offer a standalone launch');
  if (!metadata.code_challenge_methods_supported?.includes('S256')) {
    throw new Error('the server does not advertise PKCE S256; refusing to sign in');
  }

  // Bind first, then build redirect_uri from the bound port (no port race).
  const listener = await listenForRedirect(opts);
  try {
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const wantsIdToken = scopes.includes('openid');
    const nonce = wantsIdToken ? oc.randomNonce() : undefined;
    const params: Record<string, string> = {
      redirect_uri: listener.redirectUri,
      scope: scopes.join(' '),
      state,
      aud: fhirBase,
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    if (nonce !== undefined) params.nonce = nonce;
    const url = oc.buildAuthorizationUrl(config, params);
    const callback = listener.waitForCallback(state, opts.timeoutMs ?? 5 * 60_000);
    callback.catch(() => undefined); // handled below; avoids an unhandled rejection if openUrl throws first
    await opts.openUrl(url.href);
    const callbackUrl = await callback;
    const error = callbackUrl.searchParams.get('error');
    if (error !== null) {
      const description = callbackUrl.searchParams.get('error_description');
      throw new Error(`sign-in was not completed: ${error}${description ? ` (${description})` : ''}`);
    }
    let tokens: TokenResponse;
    try {
      tokens = await oc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        ...(nonce === undefined ? {} : { expectedNonce: nonce }),
        idTokenExpected: wantsIdToken,
      });
    } catch (error) {
      throw new Error(`sign-in failed at the token endpoint: ${describeError(error)}`, { cause: error });
    }
    const session = new Session({
      config,
      fhirBase,
      tokens: tokenFields(tokens),
      renew: 'refresh-token',
      secretStore: opts.secretStore,
      secretKey: refreshTokenKey(fhirBase, opts.clientId),
      refreshLeewaySeconds: opts.refreshLeewaySeconds ?? 60,
      logger: opts.logger,
      requestedScopes: scopes,
    });
    await session.persistInitial();
    opts.logger?.info({ fhirBase, fhirUser: session.fhirUser }, 'auth: signed in');
    return session;
  } finally {
    listener.close();
  }
}

export interface ResumeOptions {
  fhirBase: string;
  clientId: string;
  secretStore: SecretStore;
  allowInsecureLoopback?: boolean;
  refreshLeewaySeconds?: number;
  logger?: pino.Logger;
}

/**
 * Signs in silently with a stored refresh token; null (and the stored token deleted) when the server
 * refuses it. A transient failure (server unreachable, a cut response) rejects and keeps the stored
 * token, so the next attempt can still resume.
 */
export async function resumeSession(opts: ResumeOptions): Promise<SmartSession | null> {
  const fhirBase = stripSlash(opts.fhirBase);
  const key = refreshTokenKey(fhirBase, opts.clientId);
  const stored = await opts.secretStore.get(key);
  if (stored === null) return null;
  const config = await discoverForSignIn(fhirBase, opts.clientId, opts.allowInsecureLoopback ?? false);
  const tap = new RefreshResponseTap(config);
  let tokens: ReturnType<typeof tokenFields>;
  try {
    tokens = tokenFields(await oc.refreshTokenGrant(config, stored));
  } catch (error) {
    // No sign-in ID token to compare with: only the issuer can be checked (docs/auth.md).
    const issuer = config.serverMetadata().issuer;
    const accepted = tap.acceptMissingAud(error, null, opts.logger, issuer);
    if (accepted === null) {
      if (!isRefusal(error)) {
        throw new Error(`could not resume the sign-in: ${describeError(error)}`, { cause: error });
      }
      opts.logger?.warn({ err: describeError(error) }, 'auth: stored sign-in expired');
      await opts.secretStore.delete(key);
      return null;
    }
    tokens = accepted;
  }
  const session = new Session({
    config,
    fhirBase,
    tokens,
    renew: 'refresh-token',
    secretStore: opts.secretStore,
    secretKey: key,
    refreshLeewaySeconds: opts.refreshLeewaySeconds ?? 60,
    logger: opts.logger,
    requestedScopes: [],
  });
  await session.persistInitial();
  return session;
}

export interface BackendServicesOptions {
  fhirBase: string;
  clientId: string;
  /** RS384 (RSASSA-PKCS1-v1_5 SHA-384) or ES384 (ECDSA P-384) private key. */
  privateKey: CryptoKey | JsonWebKey;
  kid: string;
  scopes: string[];
  allowInsecureLoopback?: boolean;
  refreshLeewaySeconds?: number;
  logger?: pino.Logger;
}

function isJwk(key: CryptoKey | JsonWebKey): key is JsonWebKey {
  return 'kty' in key && typeof key.kty === 'string';
}

async function toCryptoKey(key: CryptoKey | JsonWebKey): Promise<CryptoKey> {
  if (!isJwk(key)) return key;
  const jwk = key;
  const alg =
    jwk.alg ?? (jwk.kty === 'RSA' ? 'RS384' : jwk.kty === 'EC' && jwk.crv === 'P-384' ? 'ES384' : undefined);
  if (alg !== 'RS384' && alg !== 'ES384') throw new Error('backend-services key must be RS384 or ES384');
  const imported = await importJWK({ ...jwk, alg } as Parameters<typeof importJWK>[0], alg);
  if (imported instanceof Uint8Array) throw new Error('backend-services key must be asymmetric');
  return imported as CryptoKey;
}

export async function signInBackendServices(opts: BackendServicesOptions): Promise<SmartSession> {
  const fhirBase = stripSlash(opts.fhirBase);
  const allowInsecure = opts.allowInsecureLoopback ?? false;
  const { config: discovered } = await discoverSmart(fhirBase, opts.clientId, oc.None(), allowInsecure);
  // A server may answer client_credentials with an ID token nobody asked for (Medplum does, signed
  // ES256): openid-client checks it, so it must know the algorithms this server really signs with.
  const metadata = metadataWithIdTokenAlgorithms(
    discovered,
    await idTokenAlgorithms(discovered.serverMetadata()),
  );
  const tokenEndpoint = metadata.token_endpoint;
  if (!tokenEndpoint) throw new Error('the server has no token endpoint');
  const key = await toCryptoKey(opts.privateKey);
  // SMART wants the assertion `aud` to be the token endpoint URL (openid-client defaults to the issuer)
  // and `typ: "JWT"` in its header (SMART App Launch, authentication JWT headers); servers refuse without.
  const config = new oc.Configuration(
    metadata,
    opts.clientId,
    undefined,
    oc.PrivateKeyJwt(
      { key, kid: opts.kid },
      {
        [oc.modifyAssertion]: (header, payload) => {
          header.typ = 'JWT';
          payload.aud = tokenEndpoint;
        },
      },
    ),
  );
  if (new URL(tokenEndpoint).protocol === 'http:') oc.allowInsecureRequests(config);
  const scope = opts.scopes.join(' ');
  let tokens: TokenResponse;
  try {
    tokens = await oc.clientCredentialsGrant(config, { scope });
  } catch (error) {
    throw new Error(`backend-services sign-in failed: ${describeError(error)}`, { cause: error });
  }
  return new Session({
    config,
    fhirBase,
    tokens: tokenFields(tokens),
    renew: { clientCredentials: { scope } },
    secretStore: undefined,
    secretKey: refreshTokenKey(fhirBase, opts.clientId),
    refreshLeewaySeconds: opts.refreshLeewaySeconds ?? 60,
    logger: opts.logger,
    requestedScopes: opts.scopes,
  });
}
