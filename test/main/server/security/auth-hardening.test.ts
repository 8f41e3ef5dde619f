// The authorization server's edges (docs/auth.md, "Rules enforced"): every redemption attempt burns the
// code, whatever is wrong with it; a client assertion must carry typ JWT and may be issued at most a
// small clock skew ahead. Black-box over HTTP with real sign-ins and real signed assertions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { postForm } from '../auth/helpers.ts';
import type { TestServer } from '../helpers.ts';
import { startTestServer } from '../helpers.ts';
import type { BackendKey } from './support.ts';
import { authorizationCode, backendKey, clientCredentials, redeem } from './support.ts';

let t: TestServer;
let origin: string;
let base: string;
let display: BackendKey;
beforeAll(async () => {
  display = await backendKey('ward-display-a');
  t = await startTestServer({
    simulate: false,
    backendClients: [
      {
        kind: 'backend',
        clientId: display.clientId,
        jwks: { keys: [display.publicJwk] },
        securityLabels: ['ward-a'],
        role: 'ward-display',
      },
    ],
  });
  origin = t.server.origin;
  base = t.server.fhirBase;
});
afterAll(() => t.close());

describe('any redemption attempt burns the authorization code', () => {
  const attempts: [string, (code: string) => Record<string, string>][] = [
    ['a wrong redirect_uri', (code) => ({ code, redirect_uri: 'http://127.0.0.1:1/callback' })],
    ['no redirect_uri', (code) => ({ code })],
    [
      'no code_verifier',
      (code) => ({ code, redirect_uri: 'http://127.0.0.1:53999/callback', code_verifier: '' }),
    ],
  ];
  for (const [name, params] of attempts) {
    it(`with ${name}`, async () => {
      const { code, verifier } = await authorizationCode(origin, base, 'nurse-a', 'openid user/Patient.rs');
      const first = await postForm(`${origin}/auth/token`, {
        grant_type: 'authorization_code',
        client_id: DEMO_CLIENT_ID,
        code_verifier: verifier,
        ...params(code),
      });
      expect(first.status).toBeGreaterThanOrEqual(400);
      const after = await redeem(origin, code, verifier);
      expect(after.status).toBe(400);
      expect(after.body.error).toBe('invalid_grant');
    });
  }

  it('and a correct first attempt still works', async () => {
    const { code, verifier } = await authorizationCode(origin, base, 'nurse-a', 'openid user/Patient.rs');
    expect((await redeem(origin, code, verifier)).status).toBe(200);
  });
});

describe('client assertions', () => {
  it('an iat within the clock skew is accepted; one further ahead is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const skewed = await clientCredentials(origin, display, 'system/Observation.rs', {
      claims: { iat: now + 2 },
    });
    expect(skewed.status).toBe(200);
    const ahead = await clientCredentials(origin, display, 'system/Observation.rs', {
      claims: { iat: now + 60 },
    });
    expect(ahead.status).toBe(401);
    expect(String(ahead.body.error_description)).toMatch(/iat/);
  });

  it('typ must be JWT', async () => {
    const wrong = await clientCredentials(origin, display, 'system/Observation.rs', {
      header: { typ: 'JOSE' },
    });
    expect(wrong.status).toBe(401);
    expect(String(wrong.body.error_description)).toMatch(/typ/);
    const right = await clientCredentials(origin, display, 'system/Observation.rs', {
      header: { typ: 'JWT' },
    });
    expect(right.status).toBe(200);
  });
});
