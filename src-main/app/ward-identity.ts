// The ward identity of a ward workstation: a SMART Backend Services client registered for one ward,
// signing in with a private key (docs/deployment.md). Its session keeps the ward's subscriptions; it
// never acts for a person (actions need a clinician's own sign-in, core/workstation/access-policy.ts).
import type { JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isLoopbackUrl } from '../core/auth/discovery.ts';
import { signInBackendServices } from '../core/auth/index.ts';
import type { Logger } from '../core/log.ts';
import type { WardSession } from '../core/workstation/ward-watch.ts';
import { isRecord } from '../shared/fhir-json.ts';

/**
 * Read the clinical types a nurse is alerted on, keep the ward's own Subscriptions, and take part in the
 * closed loop across workstations (docs/alerting.md): read acknowledgments made elsewhere, the care
 * team, and escalation steps, and issue the next step (a Task with the escalation code, nothing else).
 */
export const DEFAULT_WARD_SCOPES = [
  'system/Patient.rs',
  'system/Practitioner.rs',
  'system/Location.rs',
  'system/Encounter.rs',
  'system/Observation.rs',
  'system/DiagnosticReport.rs',
  'system/Basic.rs',
  'system/MedicationRequest.rs',
  'system/Subscription.cruds',
  'system/Communication.rs',
  'system/PractitionerRole.rs',
  'system/Group.rs',
  // Read steps, issue the next one: the role's ceiling narrows it (the embedded server: creating a Task
  // with the escalation code only). Asked as the plain type, as the user scopes are (core/auth).
  'system/Task.rs',
  'system/Task.c',
];

export interface WardKey {
  jwk: JsonWebKey;
  kid: string;
}

/** A private JWK (RS384 or ES384, with `kid`) from `file`; throws with what is wrong. */
export function readWardKey(file: string): WardKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file}: not a readable JSON key (${error instanceof Error ? error.message : String(error)})`,
      {
        cause: error,
      },
    );
  }
  if (!isRecord(parsed)) throw new Error(`${file}: not a JWK`);
  const jwk: JsonWebKey = parsed;
  const kid = typeof parsed['kid'] === 'string' ? parsed['kid'] : null;
  if (!kid) throw new Error(`${file}: the key needs a "kid"`);
  if (typeof jwk.d !== 'string') throw new Error(`${file}: not a private key (no "d")`);
  const rsa = jwk.kty === 'RSA';
  const ec384 = jwk.kty === 'EC' && jwk.crv === 'P-384';
  if (!rsa && !ec384) throw new Error(`${file}: the key must be RS384 (RSA) or ES384 (EC P-384)`);
  return { jwk, kid };
}

/** The public half of a private JWK, for the server's registration of the client. */
export function publicJwk(key: WardKey): JsonWebKey & { kid: string; use: string } {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = key.jwk;
  return { ...rest, kid: key.kid, use: 'sig' };
}

/** Sign the ward identity in at `fhirBase` (plain http only to a loopback server). */
export function wardSignIn(options: {
  fhirBase: string;
  clientId: string;
  key: WardKey;
  scopes?: string[];
  logger: Logger;
}): () => Promise<WardSession> {
  return () =>
    signInBackendServices({
      fhirBase: options.fhirBase,
      clientId: options.clientId,
      privateKey: options.key.jwk,
      kid: options.key.kid,
      scopes: options.scopes ?? DEFAULT_WARD_SCOPES,
      allowInsecureLoopback: isLoopbackUrl(options.fhirBase),
      logger: options.logger.child({ component: 'ward-auth' }),
    });
}
