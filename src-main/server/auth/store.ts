// Persistence of the local authorization server: grants, hashed tokens and codes, pending authorization
// requests, client-assertion `jti`s and the ID-token signing key. Only SHA-256 hashes of tokens and codes
// are stored, so a copy of the database cannot be replayed against the server.
import { createHash, randomBytes } from 'node:crypto';
import type { Db, Migration } from '../../lib/sqlite.ts';
import { migrate } from '../../lib/sqlite.ts';

export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'grants, hashed tokens and codes, pending requests, assertion jti, signing keys',
    up: (db) => {
      db.exec(`
        CREATE TABLE auth_grants (
          id TEXT PRIMARY KEY,
          client_id TEXT NOT NULL,
          subject TEXT NOT NULL,
          fhir_user TEXT,
          scopes TEXT NOT NULL,
          security_labels TEXT NOT NULL,
          patient TEXT,
          created_at INTEGER NOT NULL,
          revoked_at INTEGER,
          revoked_reason TEXT
        );
        CREATE TABLE auth_tokens (
          hash TEXT PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          grant_id TEXT NOT NULL REFERENCES auth_grants(id) ON DELETE CASCADE,
          kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
          scopes TEXT NOT NULL,
          issued_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          consumed_at INTEGER
        );
        CREATE INDEX auth_tokens_grant ON auth_tokens(grant_id);
        CREATE INDEX auth_tokens_expiry ON auth_tokens(expires_at);
        CREATE TABLE auth_codes (
          hash TEXT PRIMARY KEY,
          grant_id TEXT NOT NULL REFERENCES auth_grants(id) ON DELETE CASCADE,
          client_id TEXT NOT NULL,
          redirect_uri TEXT NOT NULL,
          code_challenge TEXT NOT NULL,
          nonce TEXT,
          expires_at INTEGER NOT NULL,
          used_at INTEGER
        );
        CREATE TABLE auth_requests (
          id TEXT PRIMARY KEY,
          params TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE TABLE auth_assertion_jti (
          client_id TEXT NOT NULL,
          jti TEXT NOT NULL,
          expires_at INTEGER NOT NULL,
          PRIMARY KEY (client_id, jti)
        );
        CREATE TABLE auth_signing_keys (
          kid TEXT PRIMARY KEY,
          alg TEXT NOT NULL,
          private_jwk TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
      `);
    },
  },
];

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

export interface GrantRow {
  id: string;
  client_id: string;
  subject: string;
  fhir_user: string | null;
  scopes: string;
  security_labels: string;
  patient: string | null;
  created_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface TokenRow {
  hash: string;
  id: string;
  grant_id: string;
  kind: 'access' | 'refresh';
  scopes: string;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export type TokenWithGrant = TokenRow & {
  client_id: string;
  subject: string;
  fhir_user: string | null;
  security_labels: string;
  patient: string | null;
  grant_scopes: string;
  revoked_at: number | null;
};

export interface CodeRow {
  hash: string;
  grant_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  nonce: string | null;
  expires_at: number;
  used_at: number | null;
}

export interface NewGrant {
  clientId: string;
  subject: string;
  fhirUser: string | null;
  scopes: readonly string[];
  securityLabels: readonly string[];
  patient: string | null;
}

function prepareStatements(db: Db) {
  return {
    insertGrant: db.prepare(
      `INSERT INTO auth_grants (id, client_id, subject, fhir_user, scopes, security_labels, patient, created_at)
       VALUES (@id, @client_id, @subject, @fhir_user, @scopes, @security_labels, @patient, @created_at)`,
    ),
    getGrant: db.prepare<[string], GrantRow>('SELECT * FROM auth_grants WHERE id = ?'),
    revokeGrant: db.prepare<[number, string, string]>(
      'UPDATE auth_grants SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL',
    ),
    insertToken: db.prepare(
      `INSERT INTO auth_tokens (hash, id, grant_id, kind, scopes, issued_at, expires_at)
       VALUES (@hash, @id, @grant_id, @kind, @scopes, @issued_at, @expires_at)`,
    ),
    tokenWithGrant: db.prepare<[string], TokenWithGrant>(
      `SELECT t.*, g.client_id, g.subject, g.fhir_user, g.security_labels, g.patient, g.scopes AS grant_scopes,
              g.revoked_at
         FROM auth_tokens t JOIN auth_grants g ON g.id = t.grant_id WHERE t.hash = ?`,
    ),
    consumeToken: db.prepare<[number, string]>(
      'UPDATE auth_tokens SET consumed_at = ? WHERE hash = ? AND consumed_at IS NULL',
    ),
    insertCode: db.prepare(
      `INSERT INTO auth_codes (hash, grant_id, client_id, redirect_uri, code_challenge, nonce, expires_at)
       VALUES (@hash, @grant_id, @client_id, @redirect_uri, @code_challenge, @nonce, @expires_at)`,
    ),
    getCode: db.prepare<[string], CodeRow>('SELECT * FROM auth_codes WHERE hash = ?'),
    useCode: db.prepare<[number, string]>(
      'UPDATE auth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL',
    ),
    insertRequest: db.prepare<[string, string, number]>(
      'INSERT INTO auth_requests (id, params, expires_at) VALUES (?, ?, ?)',
    ),
    getRequest: db.prepare<[string, number], { params: string }>(
      'SELECT params FROM auth_requests WHERE id = ? AND expires_at > ?',
    ),
    deleteRequest: db.prepare<[string]>('DELETE FROM auth_requests WHERE id = ?'),
    insertJti: db.prepare<[string, string, number]>(
      'INSERT OR IGNORE INTO auth_assertion_jti (client_id, jti, expires_at) VALUES (?, ?, ?)',
    ),
    getSigningKey: db.prepare<[], { kid: string; alg: string; private_jwk: string }>(
      'SELECT kid, alg, private_jwk FROM auth_signing_keys ORDER BY created_at DESC LIMIT 1',
    ),
    insertSigningKey: db.prepare<[string, string, string, number]>(
      'INSERT INTO auth_signing_keys (kid, alg, private_jwk, created_at) VALUES (?, ?, ?, ?)',
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export class AuthStore {
  readonly db: Db;
  private readonly stmts: Statements;

  constructor(db: Db) {
    this.db = db;
    migrate(db, 'auth', AUTH_MIGRATIONS);
    this.stmts = prepareStatements(db);
  }

  createGrant(grant: NewGrant, now: number): string {
    const id = randomId();
    this.stmts.insertGrant.run({
      id,
      client_id: grant.clientId,
      subject: grant.subject,
      fhir_user: grant.fhirUser,
      scopes: grant.scopes.join(' '),
      security_labels: JSON.stringify(grant.securityLabels),
      patient: grant.patient,
      created_at: now,
    });
    return id;
  }

  getGrant(id: string): GrantRow | undefined {
    return this.stmts.getGrant.get(id);
  }

  /** Marks the grant revoked; true when it was live before. */
  revokeGrant(id: string, reason: string, now: number): boolean {
    return this.stmts.revokeGrant.run(now, reason, id).changes === 1;
  }

  /** Stores a new token and returns the token string (shown once, never stored). */
  issueToken(
    grantId: string,
    kind: 'access' | 'refresh',
    scopes: readonly string[],
    now: number,
    ttlMs: number,
  ) {
    const token = randomToken(kind === 'access' ? 'at_' : 'rt_');
    const id = randomId();
    this.stmts.insertToken.run({
      hash: sha256(token),
      id,
      grant_id: grantId,
      kind,
      scopes: scopes.join(' '),
      issued_at: now,
      expires_at: now + ttlMs,
    });
    return { token, id, expiresAt: now + ttlMs };
  }

  findToken(token: string): TokenWithGrant | undefined {
    return this.stmts.tokenWithGrant.get(sha256(token));
  }

  /** Marks a refresh token used; false when it had been used already (a replay). */
  consumeToken(hash: string, now: number): boolean {
    return this.stmts.consumeToken.run(now, hash).changes === 1;
  }

  createCode(
    grantId: string,
    clientId: string,
    redirectUri: string,
    codeChallenge: string,
    nonce: string | null,
    now: number,
    ttlMs: number,
  ): string {
    const code = randomToken('ac_');
    this.stmts.insertCode.run({
      hash: sha256(code),
      grant_id: grantId,
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: codeChallenge,
      nonce,
      expires_at: now + ttlMs,
    });
    return code;
  }

  findCode(code: string): CodeRow | undefined {
    return this.stmts.getCode.get(sha256(code));
  }

  /** Marks a code used; false when it had been used already (a replay). */
  useCode(hash: string, now: number): boolean {
    return this.stmts.useCode.run(now, hash).changes === 1;
  }

  savePendingRequest(params: unknown, now: number, ttlMs: number): string {
    const id = randomToken('rq_');
    this.stmts.insertRequest.run(sha256(id), JSON.stringify(params), now + ttlMs);
    return id;
  }

  /** Returns and deletes a pending authorization request (single use). */
  takePendingRequest(id: string, now: number): unknown {
    const hash = sha256(id);
    const row = this.stmts.getRequest.get(hash, now);
    this.stmts.deleteRequest.run(hash);
    return row ? (JSON.parse(row.params) as unknown) : null;
  }

  peekPendingRequest(id: string, now: number): unknown {
    const row = this.stmts.getRequest.get(sha256(id), now);
    return row ? (JSON.parse(row.params) as unknown) : null;
  }

  /** Records a client-assertion `jti`; false when it was seen before (a replay). */
  recordJti(clientId: string, jti: string, expiresAt: number): boolean {
    return this.stmts.insertJti.run(clientId, jti, expiresAt).changes === 1;
  }

  getSigningKey(): { kid: string; alg: string; privateJwk: string } | undefined {
    const row = this.stmts.getSigningKey.get();
    return row ? { kid: row.kid, alg: row.alg, privateJwk: row.private_jwk } : undefined;
  }

  saveSigningKey(kid: string, alg: string, privateJwk: string, now: number): void {
    this.stmts.insertSigningKey.run(kid, alg, privateJwk, now);
  }

  /** Deletes expired rows. Revoked grants are kept while they have tokens so replays are still detected. */
  purge(now: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM auth_tokens WHERE expires_at < ?').run(now);
      this.db.prepare('DELETE FROM auth_codes WHERE expires_at < ?').run(now);
      this.db.prepare('DELETE FROM auth_requests WHERE expires_at < ?').run(now);
      this.db.prepare('DELETE FROM auth_assertion_jti WHERE expires_at < ?').run(now);
      this.db
        .prepare(
          `DELETE FROM auth_grants WHERE created_at < ?
             AND NOT EXISTS (SELECT 1 FROM auth_tokens t WHERE t.grant_id = auth_grants.id)
             AND NOT EXISTS (SELECT 1 FROM auth_codes c WHERE c.grant_id = auth_grants.id)`,
        )
        .run(now - 3_600_000);
    })();
  }
}
