// The local SMART authorization server over real HTTP: authorize → sign-in page → code → token, and the
// refresh, revocation, introspection and backend-services endpoints.
import { randomUUID } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_CLIENT_ID, DEMO_USERS } from '../../../../src-main/server/demo-users.ts';
import type { Harness } from './helpers.ts';
import { driveSignIn, pkcePair, postForm, startAuthHarness, submitSignIn } from './helpers.ts';

const SCOPES = 'openid fhirUser offline_access user/Observation.rs user/Patient.read';

interface TokenBody {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  patient?: string;
  need_patient_banner?: boolean;
  error?: string;
  error_description?: string;
}

let h: Harness;
const backendKeys: Record<'RS384' | 'ES384', { privateKey: CryptoKey; kid: string }> = {} as never;
const revoked: string[] = [];

beforeAll(async () => {
  const jwks: JWK[] = [];
  for (const alg of ['RS384', 'ES384'] as const) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg}-key`;
    backendKeys[alg] = { privateKey, kid };
    jwks.push({ ...(await exportJWK(publicKey)), kid, alg });
  }
  h = await startAuthHarness({
    clients: [
      { kind: 'backend', clientId: 'ward-display', jwks: { keys: jwks }, securityLabels: ['ward-a'] },
      { kind: 'public', clientId: 'other-app', redirectUris: ['http://127.0.0.1/callback'] },
    ],
  });
  h.auth.verifier.onRevoked((ids) => revoked.push(...ids));
});

afterAll(async () => {
  await h.close();
});

function authorizeUrl(params: Record<string, string | undefined>): string {
  const url = new URL(`${h.origin}/auth/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

function standardParams(challenge: string, overrides: Record<string, string | undefined> = {}) {
  return {
    response_type: 'code',
    client_id: DEMO_CLIENT_ID,
    redirect_uri: 'http://127.0.0.1:53111/callback',
    scope: SCOPES,
    state: 'state-123',
    aud: h.fhirBase,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    nonce: 'nonce-1',
    ...overrides,
  };
}

async function exchange(code: string, verifier: string, redirectUri = 'http://127.0.0.1:53111/callback') {
  const res = await postForm(`${h.origin}/auth/token`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    client_id: DEMO_CLIENT_ID,
  });
  return { res, body: (await res.json()) as TokenBody };
}

async function signInAndGetCode(overrides: Record<string, string | undefined> = {}, user = 'nurse-a') {
  const { verifier, challenge } = pkcePair();
  const params = standardParams(challenge, overrides);
  const redirect = await driveSignIn(authorizeUrl(params), { user });
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code: ${redirect.href}`);
  return { code, verifier, redirect, redirectUri: params.redirect_uri };
}

async function refresh(refreshToken: string, extra: Record<string, string> = {}) {
  const res = await postForm(`${h.origin}/auth/token`, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: DEMO_CLIENT_ID,
    ...extra,
  });
  return { res, body: (await res.json()) as TokenBody };
}

describe('authorization code flow', () => {
  it('authorize → accessible sign-in page → code → token with PKCE, id_token with fhirUser', async () => {
    const { verifier, challenge } = pkcePair();
    const page = await fetch(authorizeUrl(standardParams(challenge)));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<legend>Demo user<\/legend>/);
    for (const [index, user] of DEMO_USERS.entries()) {
      expect(html).toContain(`id="user-${index}" name="user" value="${user.id}"`);
      expect(html).toMatch(new RegExp(`<label for="user-${index}">[^<]*${user.display.split(' (')[0]}`));
    }
    expect(html).not.toMatch(/<script|https?:\/\/(?!127)/);

    const redirect = await submitSignIn(h.origin, html, { user: 'nurse-b' });
    expect(redirect.origin).toBe('http://127.0.0.1:53111');
    expect(redirect.pathname).toBe('/callback');
    expect(redirect.searchParams.get('state')).toBe('state-123');
    expect(redirect.searchParams.get('iss')).toBe(`${h.origin}/auth`);
    const code = redirect.searchParams.get('code') ?? '';

    const { res, body } = await exchange(code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 60,
      scope: SCOPES,
      need_patient_banner: false,
    });
    expect(body.patient).toBeUndefined();
    expect(body.refresh_token).toMatch(/^rt_/);

    const grant = h.auth.verifier.verify(body.access_token ?? '');
    expect(grant).toMatchObject({
      clientId: DEMO_CLIENT_ID,
      subject: 'nurse-b',
      fhirUser: 'Practitioner/nurse-b',
      securityLabels: ['ward-b'],
    });
    expect(grant?.scopes).toEqual([
      'openid',
      'fhirUser',
      'offline_access',
      'user/Observation.rs',
      'user/Patient.rs',
    ]);

    const jwks = createRemoteJWKSet(new URL(`${h.origin}/auth/jwks`));
    const { payload } = await jwtVerify(body.id_token ?? '', jwks, {
      issuer: `${h.origin}/auth`,
      audience: DEMO_CLIENT_ID,
    });
    expect(payload).toMatchObject({ sub: 'nurse-b', fhirUser: 'Practitioner/nurse-b', nonce: 'nonce-1' });
  });

  it('accepts the authorization request by POST (authorize-post)', async () => {
    const { verifier, challenge } = pkcePair();
    const res = await fetch(`${h.origin}/auth/authorize`, {
      method: 'POST',
      body: new URLSearchParams(standardParams(challenge) as Record<string, string>),
    });
    expect(res.status).toBe(200);
    const redirect = await submitSignIn(h.origin, await res.text(), { user: 'pharmacist' });
    const { body } = await exchange(redirect.searchParams.get('code') ?? '', verifier);
    expect(h.auth.verifier.verify(body.access_token ?? '')?.securityLabels).toEqual(['ward-a', 'ward-b']);
  });

  it('launch/patient puts patient and need_patient_banner in the token response and introspection', async () => {
    const { verifier, challenge } = pkcePair();
    const redirect = await driveSignIn(
      authorizeUrl(
        standardParams(challenge, { scope: 'launch/patient patient/Observation.rs openid fhirUser' }),
      ),
      { user: 'nurse-a', patient: 'pat-17' },
    );
    const { body } = await exchange(redirect.searchParams.get('code') ?? '', verifier);
    expect(body).toMatchObject({ patient: 'pat-17', need_patient_banner: true });
    const intro = await postForm(`${h.origin}/auth/introspect`, {
      token: body.access_token ?? '',
      client_id: DEMO_CLIENT_ID,
    });
    expect(await intro.json()).toMatchObject({
      active: true,
      patient: 'pat-17',
      fhirUser: 'Practitioner/nurse-a',
    });
  });

  it('launch/patient without a chosen patient re-shows the page with an error', async () => {
    const { challenge } = pkcePair();
    const page = await fetch(
      authorizeUrl(standardParams(challenge, { scope: 'launch/patient patient/*.rs' })),
    );
    const html = await page.text();
    expect(html).toContain('<label for="patient">');
    const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const res = await postForm(`${h.origin}/auth/authorize/decision`, {
      request: requestId,
      decision: 'approve',
      user: 'nurse-a',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('role="alert"');
  });

  it('deny → access_denied with state at the redirect URI', async () => {
    const { challenge } = pkcePair();
    const redirect = await driveSignIn(authorizeUrl(standardParams(challenge)), { decision: 'deny' });
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('state-123');
    expect(redirect.searchParams.get('code')).toBeNull();
  });

  it('a wrong code_verifier is rejected and burns the code', async () => {
    const { code, verifier } = await signInAndGetCode();
    const wrong = await exchange(code, pkcePair().verifier);
    expect(wrong.res.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(wrong.res.headers.get('pragma')).toBe('no-cache');
    const retry = await exchange(code, verifier);
    expect(retry.body.error).toBe('invalid_grant');
  });

  it('missing code_verifier is invalid_request (no PKCE downgrade)', async () => {
    const { code } = await signInAndGetCode();
    const res = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:53111/callback',
      client_id: DEMO_CLIENT_ID,
    });
    expect(((await res.json()) as TokenBody).error).toBe('invalid_request');
  });

  it('code replay is rejected and revokes the tokens already issued from it', async () => {
    const { code, verifier } = await signInAndGetCode();
    const first = await exchange(code, verifier);
    expect(first.res.status).toBe(200);
    const grantId = h.auth.verifier.verify(first.body.access_token ?? '')?.grantId ?? '';
    expect(grantId).not.toBe('');
    const second = await exchange(code, verifier);
    expect(second.body.error).toBe('invalid_grant');
    expect(h.auth.verifier.verify(first.body.access_token ?? '')).toBeNull();
    expect(revoked).toContain(grantId);
    expect((await refresh(first.body.refresh_token ?? '')).body.error).toBe('invalid_grant');
  });

  it('a code is bound to its client and its exact redirect_uri (port included)', async () => {
    const a = await signInAndGetCode();
    const res = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: a.redirectUri,
      code_verifier: a.verifier,
      client_id: 'other-app',
    });
    expect(((await res.json()) as TokenBody).error).toBe('invalid_grant');
    const b = await signInAndGetCode();
    const otherPort = await exchange(b.code, b.verifier, 'http://127.0.0.1:53112/callback');
    expect(otherPort.body.error).toBe('invalid_grant');
  });
});

describe('authorization request validation', () => {
  it('loopback redirect URIs match on any port, but only the registered host literal and path', async () => {
    for (const port of [1024, 49152, 65000]) {
      const { code, verifier, redirect } = await signInAndGetCode({
        redirect_uri: `http://127.0.0.1:${port}/callback`,
      });
      expect(redirect.port).toBe(String(port));
      const { body } = await exchange(code, verifier, `http://127.0.0.1:${port}/callback`);
      expect(body.access_token).toMatch(/^at_/);
    }
    const ipv6 = await signInAndGetCode({ redirect_uri: 'http://[::1]:50000/callback' });
    expect(ipv6.redirect.hostname).toBe('[::1]');
  });

  it('redirect mismatch or unknown client → HTML error page, never a redirect', async () => {
    const { challenge } = pkcePair();
    const bad = [
      { redirect_uri: 'http://localhost:53111/callback' },
      { redirect_uri: 'http://127.0.0.1:53111/callback/evil' },
      { redirect_uri: 'http://127.0.0.1:53111/callbackx' },
      { redirect_uri: 'https://127.0.0.1:53111/callback' },
      { redirect_uri: 'http://127.0.0.1:53111/callback?x=1' },
      { redirect_uri: 'http://evil.example/callback' },
      { redirect_uri: undefined },
      { client_id: 'nobody' },
      { client_id: 'ward-display' },
    ];
    for (const overrides of bad) {
      const res = await fetch(authorizeUrl(standardParams(challenge, overrides)), { redirect: 'manual' });
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('role="alert"');
    }
  });

  it('answers a percent-encoded authorize path as the plain one (the router decodes it): never a 500', async () => {
    const { challenge } = pkcePair();
    const encoded = (params: Record<string, string | undefined>) =>
      authorizeUrl(params).replace('/auth/authorize', '/auth/%61uthorize');
    const untrusted = await fetch(encoded(standardParams(challenge, { client_id: 'nobody' })), {
      redirect: 'manual',
    });
    expect(untrusted.status).toBe(400);
    expect(untrusted.headers.get('content-type')).toMatch(/text\/html/);
    const trusted = await fetch(encoded(standardParams(challenge, { response_type: 'token' })), {
      redirect: 'manual',
    });
    expect(trusted.status).toBe(303);
    expect(new URL(trusted.headers.get('location') ?? '').searchParams.get('error')).toBe(
      'unsupported_response_type',
    );
  });

  it('bad parameters with a trusted redirect → error redirect carrying state and iss', async () => {
    const { challenge } = pkcePair();
    const cases: [Record<string, string | undefined>, string][] = [
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge_method: undefined }, 'invalid_request'],
      [{ code_challenge: undefined }, 'invalid_request'],
      [{ aud: 'http://127.0.0.1:1/fhir' }, 'invalid_request'],
      [{ aud: undefined }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'user/Observation.sr' }, 'invalid_scope'],
      [{ scope: 'openid fhirUser' }, 'invalid_scope'],
      [{ scope: 'system/*.rs' }, 'invalid_scope'],
      [{ prompt: 'none' }, 'login_required'],
    ];
    for (const [overrides, error] of cases) {
      const res = await fetch(authorizeUrl(standardParams(challenge, overrides)), { redirect: 'manual' });
      expect(res.status, JSON.stringify(overrides)).toBe(303);
      const location = new URL(res.headers.get('location') ?? '');
      expect(location.searchParams.get('error'), JSON.stringify(overrides)).toBe(error);
      expect(location.searchParams.get('state')).toBe('state-123');
      expect(location.searchParams.get('iss')).toBe(`${h.origin}/auth`);
    }
    const noState = await fetch(authorizeUrl(standardParams(challenge, { state: undefined })), {
      redirect: 'manual',
    });
    expect(new URL(noState.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
  });

  it('aud with a trailing slash is accepted', async () => {
    const { redirect } = await signInAndGetCode({ aud: `${h.fhirBase}/` });
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('a sign-in request is single use', async () => {
    const { challenge } = pkcePair();
    const html = await (await fetch(authorizeUrl(standardParams(challenge)))).text();
    await submitSignIn(h.origin, html);
    await expect(submitSignIn(h.origin, html)).rejects.toThrow(/decision returned 400/);
  });
});

describe('refresh tokens', () => {
  it('rotate on every use; reusing an old one revokes the whole grant', async () => {
    const { code, verifier } = await signInAndGetCode();
    const first = (await exchange(code, verifier)).body;
    const r1 = await refresh(first.refresh_token ?? '');
    expect(r1.res.status).toBe(200);
    expect(r1.res.headers.get('cache-control')).toBe('no-store');
    expect(r1.body.refresh_token).toMatch(/^rt_/);
    expect(r1.body.refresh_token).not.toBe(first.refresh_token);
    expect(r1.body.id_token).toBeTruthy();
    const r2 = await refresh(r1.body.refresh_token ?? '');
    expect(r2.res.status).toBe(200);
    const grantId = h.auth.verifier.verify(r2.body.access_token ?? '')?.grantId;
    expect(h.auth.verifier.verify(first.access_token ?? '')).not.toBeNull();

    const reuse = await refresh(r1.body.refresh_token ?? '');
    expect(reuse.res.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect(h.auth.verifier.verify(r2.body.access_token ?? '')).toBeNull();
    expect(h.auth.verifier.verify(first.access_token ?? '')).toBeNull();
    expect((await refresh(r2.body.refresh_token ?? '')).body.error).toBe('invalid_grant');
    expect(revoked).toContain(grantId);
  });

  it('may narrow the scope but not widen it; belongs to its client', async () => {
    const { code, verifier } = await signInAndGetCode();
    const first = (await exchange(code, verifier)).body;
    const narrowed = await refresh(first.refresh_token ?? '', {
      scope: 'user/Observation.rs offline_access',
    });
    expect(narrowed.body.scope).toBe('user/Observation.rs offline_access');
    expect(h.auth.verifier.verify(narrowed.body.access_token ?? '')?.scopes).toEqual([
      'user/Observation.rs',
      'offline_access',
    ]);
    const wider = await refresh(narrowed.body.refresh_token ?? '', { scope: 'user/*.cruds' });
    expect(wider.body.error).toBe('invalid_scope');

    const { code: c2, verifier: v2 } = await signInAndGetCode();
    const t2 = (await exchange(c2, v2)).body;
    const stolen = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'refresh_token',
      refresh_token: t2.refresh_token ?? '',
      client_id: 'other-app',
    });
    expect(((await stolen.json()) as TokenBody).error).toBe('invalid_grant');
  });

  it('a public client may refresh without client_id (RFC 6749 §6; fhirclient does)', async () => {
    const { code, verifier } = await signInAndGetCode();
    const first = (await exchange(code, verifier)).body;
    const res = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token ?? '',
    });
    expect(res.status).toBe(200);
    const unknown = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'refresh_token',
      refresh_token: 'rt_nope',
    });
    expect(((await unknown.json()) as TokenBody).error).toBe('invalid_grant');
  });

  it('no refresh token without offline_access', async () => {
    const { code, verifier } = await signInAndGetCode({ scope: 'user/Observation.rs' });
    const { body } = await exchange(code, verifier);
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeUndefined();
  });
});

describe('revocation and introspection', () => {
  it('revoking the refresh token ends the grant: verify() returns null and onRevoked fires', async () => {
    const { code, verifier } = await signInAndGetCode();
    const tokens = (await exchange(code, verifier)).body;
    const grantId = h.auth.verifier.verify(tokens.access_token ?? '')?.grantId ?? '';
    const seen: string[] = [];
    const off = h.auth.verifier.onRevoked((ids) => seen.push(...ids));
    const res = await postForm(`${h.origin}/auth/revoke`, {
      token: tokens.refresh_token ?? '',
      token_type_hint: 'refresh_token',
      client_id: DEMO_CLIENT_ID,
    });
    off();
    expect(res.status).toBe(200);
    expect(seen).toEqual([grantId]);
    expect(h.auth.verifier.verify(tokens.access_token ?? '')).toBeNull();
    expect((await refresh(tokens.refresh_token ?? '')).body.error).toBe('invalid_grant');
  });

  it('revocation of unknown or foreign tokens answers 200 and changes nothing', async () => {
    const { code, verifier } = await signInAndGetCode();
    const tokens = (await exchange(code, verifier)).body;
    expect(
      (await postForm(`${h.origin}/auth/revoke`, { token: 'at_unknown', client_id: DEMO_CLIENT_ID })).status,
    ).toBe(200);
    expect(
      (
        await postForm(`${h.origin}/auth/revoke`, {
          token: tokens.access_token ?? '',
          client_id: 'other-app',
        })
      ).status,
    ).toBe(200);
    expect(h.auth.verifier.verify(tokens.access_token ?? '')).not.toBeNull();
    const noClient = await postForm(`${h.origin}/auth/revoke`, { token: tokens.access_token ?? '' });
    expect(noClient.status).toBe(401);
    expect(await noClient.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('introspection reports active tokens with SMART fields, inactive after revocation', async () => {
    const { code, verifier } = await signInAndGetCode({}, 'pharmacist');
    const tokens = (await exchange(code, verifier)).body;
    const introspect = async (token: string, client = DEMO_CLIENT_ID) =>
      (await (await postForm(`${h.origin}/auth/introspect`, { token, client_id: client })).json()) as Record<
        string,
        unknown
      >;
    const active = await introspect(tokens.access_token ?? '');
    expect(active).toMatchObject({
      active: true,
      scope: SCOPES,
      client_id: DEMO_CLIENT_ID,
      sub: 'pharmacist',
      fhirUser: 'Practitioner/pharmacist',
      iss: `${h.origin}/auth`,
      token_type: 'Bearer',
    });
    expect(active.exp).toBeGreaterThan(Date.now() / 1000);
    expect(await introspect(tokens.access_token ?? '', 'other-app')).toEqual({ active: false });
    expect(await introspect('at_nope')).toEqual({ active: false });
    h.auth.revokeGrant(h.auth.verifier.verify(tokens.access_token ?? '')?.grantId ?? '');
    expect(await introspect(tokens.access_token ?? '')).toEqual({ active: false });
  });
});

describe('backend services (client_credentials + private_key_jwt)', () => {
  async function assertion(
    alg: 'RS384' | 'ES384',
    overrides: { aud?: string; expIn?: number; jti?: string; iss?: string; kid?: string } = {},
  ) {
    const { privateKey, kid } = backendKeys[alg];
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg, kid: overrides.kid ?? kid, typ: 'JWT' })
      .setIssuer(overrides.iss ?? 'ward-display')
      .setSubject(overrides.iss ?? 'ward-display')
      .setAudience(overrides.aud ?? `${h.origin}/auth/token`)
      .setIssuedAt(now)
      .setExpirationTime(now + (overrides.expIn ?? 120))
      .setJti(overrides.jti ?? randomUUID())
      .sign(privateKey);
  }

  async function clientCredentials(jwt: string, scope = 'system/Observation.rs system/Patient.rs') {
    const res = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    });
    return { res, body: (await res.json()) as TokenBody };
  }

  for (const alg of ['RS384', 'ES384'] as const) {
    it(`issues a short-lived system token for an ${alg} assertion`, async () => {
      const { res, body } = await clientCredentials(await assertion(alg));
      expect(res.status).toBe(200);
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(body).toMatchObject({ token_type: 'Bearer', scope: 'system/Observation.rs system/Patient.rs' });
      expect(body.expires_in).toBeLessThanOrEqual(300);
      expect(body.refresh_token).toBeUndefined();
      expect(h.auth.verifier.verify(body.access_token ?? '')).toMatchObject({
        clientId: 'ward-display',
        subject: 'ward-display',
        fhirUser: null,
        securityLabels: ['ward-a'],
        scopes: ['system/Observation.rs', 'system/Patient.rs'],
      });
    });
  }

  it('rejects a replayed jti', async () => {
    const jwt = await assertion('ES384');
    expect((await clientCredentials(jwt)).res.status).toBe(200);
    const replay = await clientCredentials(jwt);
    expect(replay.res.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
  });

  it('rejects wrong aud, exp beyond 5 minutes, unknown kid, RS256, foreign issuer', async () => {
    const { privateKey: rs256Key, publicKey: _unused } = await generateKeyPair('RS256');
    const rs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'RS384-key' })
      .setIssuer('ward-display')
      .setSubject('ward-display')
      .setAudience(`${h.origin}/auth/token`)
      .setExpirationTime('1m')
      .setJti(randomUUID())
      .sign(rs256Key);
    const bad = [
      await assertion('RS384', { aud: `${h.origin}/auth` }),
      await assertion('RS384', { expIn: 600 }),
      await assertion('ES384', { expIn: -60 }),
      await assertion('ES384', { kid: 'unknown' }),
      await assertion('RS384', { iss: DEMO_CLIENT_ID }),
      rs256,
      'not-a-jwt',
    ];
    for (const jwt of bad) {
      const { res, body } = await clientCredentials(jwt);
      expect(res.status).toBe(401);
      expect(body.error).toBe('invalid_client');
    }
  });

  it('grants only system/ scopes and refuses other grant types', async () => {
    const onlyUser = await clientCredentials(await assertion('RS384'), 'user/Observation.rs');
    expect(onlyUser.body.error).toBe('invalid_scope');
    const bad = await clientCredentials(await assertion('RS384'), 'system/Observation.xyz');
    expect(bad.body.error).toBe('invalid_scope');
    const v1 = await clientCredentials(await assertion('RS384'), 'system/*.read');
    expect(h.auth.verifier.verify(v1.body.access_token ?? '')?.scopes).toEqual(['system/*.rs']);
    const publicCc = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'client_credentials',
      client_id: DEMO_CLIENT_ID,
    });
    expect(((await publicCc.json()) as TokenBody).error).toBe('unauthorized_client');
  });
});

describe('token endpoint errors', () => {
  it('are OAuth error JSON with no-store', async () => {
    const unsupported = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'password',
      client_id: DEMO_CLIENT_ID,
    });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toMatchObject({ error: 'unsupported_grant_type' });

    const json = await fetch(`${h.origin}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code' }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });

    const unknownClient = await postForm(`${h.origin}/auth/token`, {
      grant_type: 'authorization_code',
      client_id: 'x',
    });
    expect(unknownClient.status).toBe(401);
    expect(await unknownClient.json()).toMatchObject({ error: 'invalid_client' });

    const basic = await fetch(`${h.origin}/auth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(basic.status).toBe(401);

    const dup = await fetch(`${h.origin}/auth/token`, {
      method: 'POST',
      body: 'grant_type=refresh_token&grant_type=authorization_code&client_id=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await dup.json()).toMatchObject({ error: 'invalid_request' });

    const big = await postForm(`${h.origin}/auth/token`, { grant_type: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect(big.headers.get('cache-control')).toBe('no-store');

    const unknown = await fetch(`${h.origin}/auth/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('configurable access-token lifetime', () => {
  it('issues tokens that expire after accessTokenTtlSeconds', async () => {
    const short = await startAuthHarness({ accessTokenTtlSeconds: 2 });
    try {
      const { verifier, challenge } = pkcePair();
      const redirect = await driveSignIn(
        `${short.origin}/auth/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: DEMO_CLIENT_ID,
          redirect_uri: 'http://127.0.0.1:4000/callback',
          scope: 'user/*.rs offline_access',
          state: 's',
          aud: short.fhirBase,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }).toString()}`,
      );
      // The wall clock is held from issue to check and then moved, not waited on: on a loaded machine two
      // seconds could pass before the first check. Valid up to the instant of expiry, not from then on.
      vi.useFakeTimers({ toFake: ['Date'] });
      const res = await postForm(`${short.origin}/auth/token`, {
        grant_type: 'authorization_code',
        code: redirect.searchParams.get('code') ?? '',
        redirect_uri: 'http://127.0.0.1:4000/callback',
        code_verifier: verifier,
        client_id: DEMO_CLIENT_ID,
      });
      const body = (await res.json()) as TokenBody;
      expect(body.expires_in).toBe(2);
      expect(short.auth.verifier.verify(body.access_token ?? '')).not.toBeNull();
      vi.setSystemTime(Date.now() + 1999);
      expect(short.auth.verifier.verify(body.access_token ?? '')).not.toBeNull();
      vi.setSystemTime(Date.now() + 1);
      expect(short.auth.verifier.verify(body.access_token ?? '')).toBeNull();
    } finally {
      vi.useRealTimers();
      await short.close();
    }
  });
});
