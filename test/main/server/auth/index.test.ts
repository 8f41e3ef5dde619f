import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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

  it('verify() rejects unknown, malformed and expired tokens', () => {
    expect(auth.verifier.verify('at_nope')).toBeNull();
    expect(auth.verifier.verify('')).toBeNull();
    // The wall clock is moved, not waited on (a loaded machine could let a short lifetime pass between
    // two lines): the token is valid up to the instant of its expiry and not from then on.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const issued = auth.issueToken({
        userId: 'nurse-b',
        clientId: DEMO_CLIENT_ID,
        scopes: [],
        ttlSeconds: 0.2,
      });
      expect(auth.verifier.verify(issued.accessToken)).not.toBeNull();
      vi.setSystemTime(Date.now() + 199);
      expect(auth.verifier.verify(issued.accessToken)).not.toBeNull();
      vi.setSystemTime(Date.now() + 1);
      expect(auth.verifier.verify(issued.accessToken)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
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

  it('verify() is cheap enough to run per request: one indexed lookup, nothing written', () => {
    // How fast it is belongs to a benchmark; what makes it cheap is asserted here, independent of the
    // machine's load: each call is the same single SELECT, which SQLite answers through indexes (no
    // table scan), and verifying never writes.
    const statements: string[] = [];
    const traced = new Database(join(dir, 'traced.db'), { verbose: (sql) => statements.push(String(sql)) });
    const tracedAuth = createAuthServer({
      db: traced,
      origin,
      fhirBase: `${origin}/fhir`,
      accessTokenTtlSeconds: 60,
    });
    try {
      const issued = tracedAuth.issueToken({
        userId: 'nurse-a',
        clientId: DEMO_CLIENT_ID,
        scopes: ['user/*.rs'],
      });
      const changesBefore = traced.prepare('SELECT total_changes() AS n').get() as { n: number };
      statements.length = 0;
      for (let i = 0; i < 1000; i++) expect(tracedAuth.verifier.verify(issued.accessToken)).not.toBeNull();
      expect(statements).toHaveLength(1000);
      const distinct = [...new Set(statements)];
      expect(distinct).toHaveLength(1);
      const sql = distinct[0] ?? '';
      expect(sql).toMatch(/^\s*SELECT\b/i);
      const plan = traced.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[];
      expect(plan.length).toBeGreaterThan(0);
      for (const step of plan)
        expect(step.detail).toMatch(/^SEARCH \w+ USING (INTEGER PRIMARY KEY|(COVERING )?INDEX)/);
      expect(traced.prepare('SELECT total_changes() AS n').get()).toEqual(changesBefore);
    } finally {
      tracedAuth.close();
      traced.close();
    }
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
