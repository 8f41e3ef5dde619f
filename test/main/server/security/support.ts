// What the red-team tests share: real sign-ins over HTTP (the authorization-code flow through the demo
// sign-in page, and Backend Services client_credentials with a real signed assertion), and the ward
// facts the simulator seeds. Nothing here reaches into the server's modules: every test is black-box
// over HTTP on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { driveSignIn, pkcePair, postForm } from '../auth/helpers.ts';
import { fhir } from '../helpers.ts';

export const WARD_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/ward';
export const wardLabel = (code: string) => ({ system: WARD_SYSTEM, code });
const REDIRECT = 'http://127.0.0.1:53999/callback';

export interface TokenAnswer {
  status: number;
  accessToken: string;
  scope: string;
  body: Record<string, unknown>;
}

function answer(status: number, body: Record<string, unknown>): TokenAnswer {
  return {
    status,
    body,
    accessToken: typeof body.access_token === 'string' ? body.access_token : '',
    scope: typeof body.scope === 'string' ? body.scope : '',
  };
}

/** The authorization URL a SMART app would open for `scope`. */
export function authorizeUrl(origin: string, fhirBase: string, scope: string, challenge: string): string {
  const url = new URL(`${origin}/auth/authorize`);
  const params = {
    response_type: 'code',
    client_id: DEMO_CLIENT_ID,
    redirect_uri: REDIRECT,
    scope,
    state: randomUUID(),
    aud: fhirBase,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

/** Sign-in up to the authorization code: what the browser returns to the app. */
export async function authorizationCode(
  origin: string,
  fhirBase: string,
  user: string,
  scope: string,
): Promise<{ code: string; verifier: string; redirect: URL }> {
  const { verifier, challenge } = pkcePair();
  const redirect = await driveSignIn(authorizeUrl(origin, fhirBase, scope, challenge), { user });
  return { code: redirect.searchParams.get('code') ?? '', verifier, redirect };
}

export async function redeem(
  origin: string,
  code: string,
  verifier: string | undefined,
): Promise<TokenAnswer> {
  const res = await postForm(`${origin}/auth/token`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    client_id: DEMO_CLIENT_ID,
    ...(verifier === undefined ? {} : { code_verifier: verifier }),
  });
  return answer(res.status, (await res.json()) as Record<string, unknown>);
}

/** The whole standalone launch as the desktop app does it: a token for `user` asking for `scope`. */
export async function signIn(
  origin: string,
  fhirBase: string,
  user: string,
  scope: string,
): Promise<TokenAnswer> {
  const { code, verifier } = await authorizationCode(origin, fhirBase, user, scope);
  return redeem(origin, code, verifier);
}

// ------------------------------------------------------------------------------------ backend services

export interface BackendKey {
  clientId: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function backendKey(clientId: string): Promise<BackendKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `${clientId}-key`;
  return { clientId, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES384' } };
}

export interface AssertionOptions {
  /** Claims to set or override (e.g. `iat` a day ahead). */
  claims?: JWTPayload;
  /** Protected-header fields to set or override; `typ: undefined` leaves it out. */
  header?: { typ?: string | undefined };
}

export async function clientAssertion(
  origin: string,
  key: BackendKey,
  options: AssertionOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header: Record<string, string> = { alg: 'ES384', kid: key.kid, typ: 'JWT' };
  if (options.header && 'typ' in options.header) {
    if (options.header.typ === undefined) delete header.typ;
    else header.typ = options.header.typ;
  }
  return new SignJWT({ ...options.claims })
    .setProtectedHeader({ ...header, alg: 'ES384' })
    .setIssuer(key.clientId)
    .setSubject(key.clientId)
    .setAudience(`${origin}/auth/token`)
    .setExpirationTime(now + 120)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export async function clientCredentials(
  origin: string,
  key: BackendKey,
  scope: string,
  options: AssertionOptions = {},
): Promise<TokenAnswer> {
  const res = await postForm(`${origin}/auth/token`, {
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(origin, key, options),
  });
  return answer(res.status, (await res.json()) as Record<string, unknown>);
}

// ------------------------------------------------------------------------------------------ ward facts

/** Ids of the resources `token` finds by `query` (one page of up to 1000). */
export async function searchIds(fhirBase: string, token: string, query: string): Promise<string[]> {
  const res = await fhir('GET', `${fhirBase}/${query}`, token);
  if (res.status !== 200) throw new Error(`search ${query}: ${res.status} ${JSON.stringify(res.body)}`);
  const entries = (res.body.entry ?? []) as { resource: { id: string } }[];
  return entries.map((entry) => entry.resource.id);
}

/** A Patient the simulator placed on `ward`, found with a token that may read that ward. */
export async function patientOn(fhirBase: string, token: string, ward: string): Promise<string> {
  const [id] = await searchIds(fhirBase, token, `Patient?location=Location/${ward}&_count=1`);
  if (!id) throw new Error(`no patient on ${ward}`);
  return id;
}

/** A critical potassium for `patient`, as a laboratory system would send it. */
export function criticalPotassium(patient: string, extra: Record<string, unknown> = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }] },
    subject: { reference: `Patient/${patient}` },
    valueQuantity: { value: 6.9, unit: 'mmol/L' },
    interpretation: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'HH' },
        ],
      },
    ],
    ...extra,
  };
}

/** The ward labels a resource carries. */
export function labelsOf(resource: Record<string, unknown>): string[] {
  const meta = resource.meta as { security?: { system?: string; code?: string }[] } | undefined;
  return (meta?.security ?? []).filter((c) => c.system === WARD_SYSTEM).map((c) => c.code ?? '');
}

/** Polls `condition` until it holds or the generous deadline passes (no timing luck in assertions). */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
