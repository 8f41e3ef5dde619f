// Revoking the monitor's grant in the middle of a soak, as an administrator would: the backend client's
// own signed assertion, straight to the server's revocation endpoint (not through the faulty proxy, so
// the revocation itself is never lost), then whether the old token is refused and whether the stream
// carried the server's "revoked" frame.
import { importJWK, SignJWT } from 'jose';
import type { FaultProxy } from '../fault-proxy.ts';

export interface Revocation {
  revoked: boolean;
  oldTokenRejected: boolean;
  revokedFrameSeen: boolean;
}

export interface RevokeTarget {
  proxy: FaultProxy;
  /** The server's own port, behind the proxy. */
  serverPort: number;
  clientId: string;
  privateJwk: { kid: string; alg: string };
  /** The assertion's jti, unique per call; asked for only when there is a token to revoke. */
  jti: () => string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function clientAssertion(target: RevokeTarget): Promise<string> {
  const { privateJwk, clientId, proxy } = target;
  const key = await importJWK(privateJwk as Parameters<typeof importJWK>[0], privateJwk.alg);
  return new SignJWT({})
    .setProtectedHeader({ alg: privateJwk.alg, kid: privateJwk.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(`${proxy.origin}/auth/token`)
    .setJti(target.jti())
    .setExpirationTime('2m')
    .sign(key);
}

/** Revoke the token the monitor streams with (or last sent), and report what the server did. */
export async function revokeMonitorGrant(target: RevokeTarget): Promise<Revocation> {
  const { proxy, serverPort } = target;
  const token = proxy.lastStreamToken() ?? proxy.lastBearerToken();
  if (!token) return { revoked: false, oldTokenRejected: false, revokedFrameSeen: false };
  const assertion = await clientAssertion(target);
  const seenBefore = proxy.stats().revokedFramesSeen;
  const response = await fetch(`http://127.0.0.1:${serverPort}/auth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline && proxy.stats().revokedFramesSeen === seenBefore) await sleep(50);
  const check = await fetch(`http://127.0.0.1:${serverPort}/fhir/Subscription`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    revoked: response.status === 200,
    oldTokenRejected: check.status === 401,
    revokedFrameSeen: proxy.stats().revokedFramesSeen > seenBefore,
  };
}
