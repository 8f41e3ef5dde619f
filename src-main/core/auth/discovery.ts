// SMART discovery with openid-client v6: `<fhirBase>/.well-known/smart-configuration` is passed to
// `discovery()` as-is (no issuer comparison). SMART servers without `sso-openid-connect` omit `issuer`,
// which openid-client requires; then the Configuration is built from the fetched document.
import * as oc from 'openid-client';
import { field, record } from '../../shared/fhir-json.ts';
import { MAX_METADATA_BYTES, readJsonWithin } from '../../lib/bounded-body.ts';

/** How long a server may take to answer discovery (openid-client's own request has the same bound). */
const DISCOVERY_TIMEOUT_MS = 30_000;

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

export function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export interface DiscoveredServer {
  config: oc.Configuration;
  capabilities: string[];
}

/**
 * `allowInsecureLoopback` permits plain http only when the FHIR base and every endpoint it advertises are
 * on a loopback address (the embedded local-mode server); anything else must be https.
 */
export async function discoverSmart(
  fhirBase: string,
  clientId: string,
  clientAuth: oc.ClientAuth,
  allowInsecureLoopback: boolean,
): Promise<DiscoveredServer> {
  const base = stripSlash(fhirBase);
  const url = new URL(`${base}/.well-known/smart-configuration`);
  const insecure = url.protocol === 'http:';
  if (insecure && !(allowInsecureLoopback && isLoopbackUrl(base))) {
    throw new Error('refusing plain http: only a loopback FHIR base may use http, and only when allowed');
  }
  let config: oc.Configuration;
  try {
    config = await oc.discovery(
      url,
      clientId,
      undefined,
      clientAuth,
      insecure ? { execute: [oc.allowInsecureRequests] } : {},
    );
  } catch (error) {
    // Bounded in time and size: a server that never answers must not hold the sign-in (and with it
    // every later sign-in on this workstation) for ever.
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    if (!res.ok)
      throw new Error(`SMART discovery failed: ${url.href} answered ${res.status}`, { cause: error });
    const doc = record(await readJsonWithin(res, MAX_METADATA_BYTES));
    const tokenEndpoint = field(doc, 'token_endpoint');
    if (!doc || typeof doc['issuer'] === 'string' || typeof tokenEndpoint !== 'string') throw error;
    // No issuer (SMART without sso-openid-connect): use the token endpoint's origin. openid-client only uses
    // it for the RFC 9207 `iss` check, ID-token `iss` checks and the default assertion `aud`.
    config = new oc.Configuration(
      { ...doc, issuer: new URL(tokenEndpoint).origin },
      clientId,
      undefined,
      clientAuth,
    );
    if (insecure) oc.allowInsecureRequests(config);
  }
  const metadata = config.serverMetadata();
  if (insecure) {
    for (const endpoint of [
      metadata.authorization_endpoint,
      metadata.token_endpoint,
      metadata.revocation_endpoint,
      metadata.jwks_uri,
    ]) {
      if (endpoint !== undefined && !isLoopbackUrl(endpoint)) {
        throw new Error('a loopback FHIR server advertised a non-loopback endpoint over http; refusing');
      }
    }
  }
  const capabilities = Array.isArray(metadata.capabilities)
    ? metadata.capabilities.filter((c): c is string => typeof c === 'string')
    : [];
  return { config, capabilities };
}
