// A stand-in SMART authorization server on 127.0.0.1 (test support, not a product): just enough of a
// standalone launch (discovery, an authorization endpoint that approves at once, PKCE S256, a token
// endpoint with refresh-token rotation, JWKS) to show how the client treats a refreshed ID token.
//
// Which server does this: the behaviour it reproduces was seen against an independent SMART server during
// interop testing — a refreshed ID token without `aud`. We cannot name a server that does it for a
// client which, like ours (a public client), sends `client_id` in the refresh request; the closest
// published behaviour is the SMART launcher's token handler (smart-on-fhir/smart-launcher,
// src/TokenHandler.js, read in its public source, not run here), which copies the ID token's `aud` from
// the request's `client_id` parameter, so it is absent whenever a refresh request carries none. This
// stand-in therefore drops `aud` from every refreshed ID token outright (`refreshIdToken: 'no-aud'`), or
// changes its `sub` (`'other-sub'`, an objection the client must not accept): it tests the client's
// rule (OpenID Connect Core §12.2, docs/auth.md), not a named server.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface StandIn {
  origin: string;
  fhirBase: string;
  /** Answer this many next refresh requests with 503 `temporarily_unavailable` (a server outage). */
  failRefreshes: number;
  /** Token endpoint requests by grant type. */
  grants: Record<string, number>;
  close(): Promise<void>;
}

interface CodeGrant {
  clientId: string;
  challenge: string;
  nonce: string | null;
  scope: string;
}

const random = () => randomBytes(18).toString('base64url');

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startSmartStandIn(options: {
  refreshIdToken: 'no-aud' | 'other-sub' | 'conformant';
  accessTokenTtlSeconds?: number;
}): Promise<StandIn> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'stand-in-1';
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, CodeGrant>();
  const refreshTokens = new Map<string, CodeGrant>();
  const grants: Record<string, number> = {};
  let origin = '';
  const standIn: StandIn = {
    origin: '',
    fhirBase: '',
    failRefreshes: 0,
    grants,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const idToken = (key: CryptoKey, claims: Record<string, string>, sub: string, aud: string | null) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(origin)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 300);
    return (aud === null ? jwt : jwt.setAudience(aud)).sign(key);
  };

  async function token(form: URLSearchParams): Promise<{ status: number; body: Record<string, unknown> }> {
    const type = form.get('grant_type') ?? '';
    grants[type] = (grants[type] ?? 0) + 1;
    let grant: CodeGrant | undefined;
    let refreshed = false;
    if (type === 'authorization_code') {
      grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!grant || grant.challenge !== challenge) return { status: 400, body: { error: 'invalid_grant' } };
    } else if (type === 'refresh_token') {
      if (standIn.failRefreshes > 0) {
        standIn.failRefreshes -= 1;
        return { status: 503, body: { error: 'temporarily_unavailable' } };
      }
      grant = refreshTokens.get(form.get('refresh_token') ?? '');
      refreshTokens.delete(form.get('refresh_token') ?? ''); // rotation: each refresh token works once
      if (!grant) return { status: 400, body: { error: 'invalid_grant' } };
      refreshed = true;
    } else {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const refreshToken = random();
    refreshTokens.set(refreshToken, grant);
    const claims: Record<string, string> = { fhirUser: 'Practitioner/stand-in-nurse' };
    if (!refreshed && grant.nonce) claims.nonce = grant.nonce;
    const sub = refreshed && options.refreshIdToken === 'other-sub' ? 'someone-else' : 'stand-in-nurse';
    const aud = refreshed && options.refreshIdToken === 'no-aud' ? null : grant.clientId;
    return {
      status: 200,
      body: {
        access_token: `at_${random()}`,
        token_type: 'Bearer',
        expires_in: options.accessTokenTtlSeconds ?? 3600,
        scope: grant.scope,
        refresh_token: refreshToken,
        id_token: await idToken(privateKey, claims, sub, aud),
      },
    };
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/fhir/.well-known/smart-configuration') {
      json(200, {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/jwks`,
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        capabilities: ['launch-standalone', 'client-public', 'sso-openid-connect', 'permission-offline'],
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/jwks') {
      json(200, { keys: [publicJwk] });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      // Approves at once (no user interaction): the code goes back to the client's loopback listener.
      const code = random();
      codes.set(code, {
        clientId: url.searchParams.get('client_id') ?? '',
        challenge: url.searchParams.get('code_challenge') ?? '',
        nonce: url.searchParams.get('nonce'),
        scope: url.searchParams.get('scope') ?? '',
      });
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      void readForm(req)
        .then(token)
        .then(({ status, body }) => json(status, body))
        .catch(() => json(500, { error: 'server_error' }));
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.origin = origin;
  standIn.fhirBase = `${origin}/fhir`;
  return standIn;
}
