// Which algorithms this server signs ID tokens with, taken from the server and never assumed.
// openid-client falls back to RS256 when the metadata names none, and a SMART configuration usually
// names none: Medplum's does not, while its OpenID configuration lists ES256, HS256 and RS256 and its
// JWKS holds one ES256 key (docs/interop.md). So: the algorithms of the keys the server actually
// publishes, limited to what its metadata lists when it lists any; asymmetric algorithms only (an
// HS256 ID token would be signed with a secret this public client does not have).
import * as oc from 'openid-client';
import { isRecord, records, str, strings } from '../../shared/fhir-json.ts';
import { isLoopbackUrl, stripSlash } from './discovery.ts';
import { MAX_METADATA_BYTES, readJsonWithin } from '../../lib/bounded-body.ts';

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^ES256K$|^EdDSA$|^Ed25519$/;
const FETCH_TIMEOUT_MS = 10_000;

/** What a JWK says it signs with: its `alg`, or the one its key type and curve imply. */
function keyAlgorithm(jwk: Record<string, unknown>): string | null {
  const alg = str(jwk['alg']);
  if (alg) return alg;
  const use = str(jwk['use']);
  if (use !== null && use !== 'sig') return null;
  const kty = str(jwk['kty']);
  const crv = str(jwk['crv']);
  if (kty === 'RSA') return 'RS256';
  if (kty === 'EC') return crv === 'P-384' ? 'ES384' : crv === 'P-521' ? 'ES512' : 'ES256';
  if (kty === 'OKP') return 'EdDSA';
  return null;
}

/** GET a JSON document over https, or plain http to loopback only; null when that does not work. */
async function fetchJson(url: string): Promise<unknown> {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackUrl(url))) return null;
    const res = await fetch(parsed, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!res.ok) return null;
    return await readJsonWithin(res, MAX_METADATA_BYTES);
  } catch {
    return null;
  }
}

/** The algorithms to accept for this server's ID tokens; null when the server says nothing usable. */
export async function idTokenAlgorithms(metadata: oc.ServerMetadata): Promise<string[] | null> {
  const listed = metadata.id_token_signing_alg_values_supported;
  let supported = Array.isArray(listed) ? listed.filter((a) => typeof a === 'string') : null;
  let jwksUri = metadata.jwks_uri ?? null;
  if (supported === null || jwksUri === null) {
    const openid = await fetchJson(`${stripSlash(metadata.issuer)}/.well-known/openid-configuration`);
    if (isRecord(openid)) {
      supported ??= strings(openid['id_token_signing_alg_values_supported']);
      jwksUri ??= str(openid['jwks_uri']);
    }
  }
  const jwks = jwksUri ? await fetchJson(jwksUri) : null;
  const published = records(isRecord(jwks) ? jwks['keys'] : undefined)
    .map(keyAlgorithm)
    .filter((a): a is string => a !== null && ASYMMETRIC.test(a));
  const asymmetric = (supported ?? []).filter((a) => ASYMMETRIC.test(a));
  if (published.length > 0) {
    const both = published.filter((a) => asymmetric.includes(a));
    return [...new Set(both.length > 0 ? both : published)];
  }
  return asymmetric.length > 0 ? [...new Set(asymmetric)] : null;
}

/**
 * The server metadata with the ID-token algorithms made explicit (when known), which openid-client
 * checks before its RS256 default; plain data, ready for a new Configuration.
 */
export function metadataWithIdTokenAlgorithms(
  config: oc.Configuration,
  algorithms: string[] | null,
): oc.ServerMetadata {
  const { supportsPKCE: _helper, ...metadata } = config.serverMetadata();
  return algorithms === null ? metadata : { ...metadata, id_token_signing_alg_values_supported: algorithms };
}

/** The same public-client configuration with the ID-token algorithms made explicit. */
export function withIdTokenAlgorithms(
  config: oc.Configuration,
  clientId: string,
  algorithms: string[] | null,
): oc.Configuration {
  if (algorithms === null) return config;
  const metadata = metadataWithIdTokenAlgorithms(config, algorithms);
  const next = new oc.Configuration(metadata, clientId, undefined, oc.None());
  const endpoints = [metadata.token_endpoint, metadata.authorization_endpoint, metadata.revocation_endpoint];
  if (endpoints.some((e) => e !== undefined && new URL(e).protocol === 'http:'))
    oc.allowInsecureRequests(next);
  return next;
}
