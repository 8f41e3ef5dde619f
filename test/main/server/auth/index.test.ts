import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src-main/lib/sqlite.ts';
import type { Db } from '../../../../src-main/lib/sqlite.ts';
import { createAuthServer } from '../../../../src-main/server/auth/index.ts';
import type { AuthServer } from '../../../../src-main/server/auth/index.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startAuthHarness } from './helpers.ts';

describe('createAuthServer (token issue / verify / revoke)', () => {
  let dir: string;
  let db: Db;
  let auth: AuthServer;
  let app: FastifyInstance;
  let origin: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auth-index-'));
    db = openDatabase(join(dir, 'auth.db'));
    app = Fastify();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    origin = `http://127.0.0.1:${address.port}`;
    auth = createAuthServer({ db, origin, fhirBase: `${origin}/fhir`, accessTokenTtlSeconds: 60 });
  });

  afterEach(async () => {
    auth.close();
    await app.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issueToken mints a token that verify() maps to the demo user grant', () => {
    const issued = auth.issueToken({
      userId: 'nurse-a',
      clientId: DEMO_CLIENT_ID,
      scopes: ['user/Observation.rs', 'user/Patient.read'],
    });
    expect(issued.expiresIn).toBe(60);
    const grant = auth.verifier.verify(issued.accessToken);
    expect(grant).toMatchObject({
      grantId: issued.grantId,
      clientId: DEMO_CLIENT_ID,
      subject: 'nurse-a',
      fhirUser: 'Practitioner/nurse-a',
      scopes: ['user/Observation.rs', 'user/Patient.rs'],
      securityLabels: ['ward-a'],
    });
    expect(grant?.expiresAt).toBeGreaterThan(Date.now());
    expect(grant?.tokenId).not.toContain(issued.accessToken);
    expect(
      auth.issueToken({ userId: 'pharmacist', clientId: DEMO_CLIENT_ID, scopes: [] }).accessToken,
    ).not.toBe(issued.accessToken);
    expect(
      auth.verifier.verify(auth.issueToken({ userId: 'pharmacist', clientId: 'x', scopes: [] }).accessToken)
        ?.securityLabels,
    ).toEqual(['ward-a', 'ward-b']);
  });

  it('verify() rejects unknown, malformed and expired tokens', async () => {
    expect(auth.verifier.verify('at_nope')).toBeNull();
    expect(auth.verifier.verify('')).toBeNull();
    const issued = auth.issueToken({
      userId: 'nurse-b',
      clientId: DEMO_CLIENT_ID,
      scopes: [],
      ttlSeconds: 0.2,
    });
    expect(auth.verifier.verify(issued.accessToken)).not.toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    expect(auth.verifier.verify(issued.accessToken)).toBeNull();
  });

  it('rejects unknown users and invalid scopes', () => {
    expect(() => auth.issueToken({ userId: 'mallory', clientId: DEMO_CLIENT_ID, scopes: [] })).toThrow(
      /unknown/,
    );
    expect(() =>
      auth.issueToken({ userId: 'nurse-a', clientId: DEMO_CLIENT_ID, scopes: ['user/Observation.sr'] }),
    ).toThrow(/invalid scope/);
  });

  it('revokeGrant makes verify() return null and notifies onRevoked listeners once', () => {
    const issued = auth.issueToken({ userId: 'nurse-a', clientId: DEMO_CLIENT_ID, scopes: ['user/*.rs'] });
    const seen: string[][] = [];
    const off = auth.verifier.onRevoked((ids) => seen.push([...ids]));
    auth.revokeGrant(issued.grantId);
    auth.revokeGrant(issued.grantId);
    expect(auth.verifier.verify(issued.accessToken)).toBeNull();
    expect(seen).toEqual([[issued.grantId]]);
    off();
  });

  it('tokens survive a restart of the server on the same database', () => {
    const issued = auth.issueToken({ userId: 'nurse-a', clientId: DEMO_CLIENT_ID, scopes: ['user/*.rs'] });
    auth.close();
    auth = createAuthServer({ db, origin, fhirBase: `${origin}/fhir`, accessTokenTtlSeconds: 60 });
    expect(auth.verifier.verify(issued.accessToken)?.subject).toBe('nurse-a');
  });

  it('verify() is fast enough to run per request', () => {
    const issued = auth.issueToken({ userId: 'nurse-a', clientId: DEMO_CLIENT_ID, scopes: ['user/*.rs'] });
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) auth.verifier.verify(issued.accessToken);
    const perCallMs = (performance.now() - start) / 10_000;
    expect(perCallMs).toBeLessThan(0.5);
  });

  it('register() serves the SMART configuration under the FHIR base', async () => {
    const h = await startAuthHarness();
    const origin = h.origin;
    const res = await fetch(`${origin}/fhir/.well-known/smart-configuration`, {
      headers: { accept: 'text/html' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.issuer).toBe(`${origin}/auth`);
    expect(body.code_challenge_methods_supported).toEqual(['S256']);
    expect(body.capabilities).toEqual(
      expect.arrayContaining(['launch-standalone', 'permission-v2', 'sso-openid-connect']),
    );
    const jwks = (await (await fetch(body.jwks_uri as string)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]?.d).toBeUndefined();
    await h.close();
  });
});
