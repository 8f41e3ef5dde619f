// A signed-in SMART session: holds the tokens (main process only), renews the access token ahead of
// expiry, rotates refresh tokens through the SecretStore, and turns any failed renewal into "signed out"
// with the reason — one attempt, never a retry loop.
import type pino from 'pino';
import * as oc from 'openid-client';
import type { SecretStore } from './secret-store.ts';

export type SessionStateName = 'signed-in' | 'signed-out';

export interface SmartSession {
  fhirBase: string;
  fhirUser: string | null;
  patient: string | null;
  needPatientBanner: boolean;
  scopes: string[];
  /** A valid access token; renews it first when it expires within the leeway and renewal is possible. */
  accessToken(): Promise<string>;
  tokenExpiresAt(): number | null;
  /** Renews now (e.g. on the server's `token-expiring` event). Rejects, and signs out, when that fails. */
  refreshNow(reason: string): Promise<void>;
  onChange(listener: (state: { state: SessionStateName; reason: string | null }) => void): () => void;
  /** Revokes the tokens at the server and deletes the stored refresh token. */
  signOut(): Promise<void>;
}

export class SignedOutError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`signed out: ${reason}`);
    this.name = 'SignedOutError';
    this.reason = reason;
  }
}

export type TokenResponse = oc.TokenEndpointResponse & oc.TokenEndpointResponseHelpers;

export interface SessionInit {
  config: oc.Configuration;
  fhirBase: string;
  tokens: TokenResponse;
  /** How to get a new token response: refresh-token grant (interactive) or a new client-credentials grant. */
  renew: 'refresh-token' | { clientCredentials: { scope: string } };
  secretStore: SecretStore | undefined;
  secretKey: string;
  refreshLeewaySeconds: number;
  logger: pino.Logger | undefined;
  requestedScopes: string[];
}

function stringField(tokens: TokenResponse, name: string): string | null {
  const value = tokens[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function describeError(error: unknown): string {
  if (error instanceof oc.ResponseBodyError)
    return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

export class Session implements SmartSession {
  readonly fhirBase: string;
  fhirUser: string | null = null;
  patient: string | null = null;
  needPatientBanner = false;
  scopes: string[] = [];

  private readonly init: SessionInit;
  private access: string;
  private expiresAt: number | null = null;
  private lifetimeMs: number | null = null;
  private refreshToken: string | null = null;
  private state: SessionStateName = 'signed-in';
  private reason: string | null = null;
  private renewing: Promise<void> | null = null;
  private readonly listeners = new Set<(state: { state: SessionStateName; reason: string | null }) => void>();

  constructor(init: SessionInit) {
    this.init = init;
    this.fhirBase = init.fhirBase;
    this.access = '';
    this.apply(init.tokens);
  }

  /** Stores the refresh token of the initial response (after sign-in). */
  async persistInitial(): Promise<void> {
    if (this.refreshToken !== null) await this.persist(this.refreshToken);
  }

  private apply(tokens: TokenResponse): void {
    this.access = tokens.access_token;
    const expiresIn = tokens.expiresIn();
    this.lifetimeMs = expiresIn === undefined ? null : expiresIn * 1000;
    this.expiresAt = expiresIn === undefined ? null : Date.now() + expiresIn * 1000;
    if (tokens.refresh_token) this.refreshToken = tokens.refresh_token;
    const scope = stringField(tokens, 'scope');
    this.scopes =
      scope === null ? (this.scopes.length > 0 ? this.scopes : this.init.requestedScopes) : scope.split(' ');
    const claims = tokens.claims();
    const fhirUser = claims && typeof claims.fhirUser === 'string' ? claims.fhirUser : null;
    if (fhirUser !== null) this.fhirUser = fhirUser;
    const patient = stringField(tokens, 'patient');
    if (patient !== null) this.patient = patient;
    if (typeof tokens.need_patient_banner === 'boolean') this.needPatientBanner = tokens.need_patient_banner;
  }

  private canRenew(): boolean {
    return this.init.renew !== 'refresh-token' || this.refreshToken !== null;
  }

  private leewayMs(): number {
    const leeway = this.init.refreshLeewaySeconds * 1000;
    return this.lifetimeMs === null ? leeway : Math.min(leeway, this.lifetimeMs / 2);
  }

  async accessToken(): Promise<string> {
    if (this.state === 'signed-out') throw new SignedOutError(this.reason ?? 'signed out');
    if (this.renewing) await this.renewing;
    else if (this.expiresAt !== null && Date.now() >= this.expiresAt - this.leewayMs()) {
      if (this.canRenew()) await this.refreshNow('access token about to expire');
      else if (Date.now() >= this.expiresAt) {
        this.markSignedOut('access token expired and there is no refresh token');
      }
    }
    if (this.isSignedOut()) throw new SignedOutError(this.reason ?? 'signed out');
    return this.access;
  }

  private isSignedOut(): boolean {
    return this.state === 'signed-out';
  }

  tokenExpiresAt(): number | null {
    return this.expiresAt;
  }

  refreshNow(reason: string): Promise<void> {
    if (this.state === 'signed-out') return Promise.reject(new SignedOutError(this.reason ?? 'signed out'));
    if (this.renewing) return this.renewing;
    if (!this.canRenew()) {
      this.markSignedOut(`cannot renew (${reason}): no refresh token`);
      return Promise.reject(new SignedOutError(this.reason ?? 'signed out'));
    }
    this.renewing = this.renew(reason).finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renew(reason: string): Promise<void> {
    let tokens: TokenResponse;
    try {
      if (this.init.renew === 'refresh-token') {
        tokens = await oc.refreshTokenGrant(this.init.config, this.refreshToken ?? '');
      } else {
        tokens = await oc.clientCredentialsGrant(this.init.config, {
          scope: this.init.renew.clientCredentials.scope,
        });
      }
    } catch (error) {
      const why = `token renewal failed (${reason}): ${describeError(error)}`;
      this.refreshToken = null;
      await this.forgetStored();
      this.markSignedOut(why);
      throw new SignedOutError(why);
    }
    // Rotation: the old refresh token is now spent at the server. Persist the new one before the new access
    // token is handed out, so a crash cannot leave only a spent token on disk.
    if (tokens.refresh_token) await this.persist(tokens.refresh_token);
    this.apply(tokens);
    this.init.logger?.info({ fhirBase: this.fhirBase, reason }, 'auth: access token renewed');
  }

  private async persist(refreshToken: string): Promise<void> {
    if (!this.init.secretStore) return;
    try {
      await this.init.secretStore.set(this.init.secretKey, refreshToken);
    } catch (error) {
      // Keep working with the in-memory token; the next start will need an interactive sign-in.
      this.init.logger?.warn({ err: describeError(error) }, 'auth: refresh token could not be persisted');
      await this.forgetStored();
    }
  }

  private async forgetStored(): Promise<void> {
    try {
      await this.init.secretStore?.delete(this.init.secretKey);
    } catch (error) {
      this.init.logger?.warn(
        { err: describeError(error) },
        'auth: stored refresh token could not be deleted',
      );
    }
  }

  private markSignedOut(reason: string): void {
    if (this.state === 'signed-out') return;
    this.state = 'signed-out';
    this.reason = reason;
    this.access = '';
    this.init.logger?.warn({ fhirBase: this.fhirBase, reason }, 'auth: signed out');
    for (const listener of [...this.listeners]) {
      try {
        listener({ state: 'signed-out', reason });
      } catch (error) {
        this.init.logger?.error({ err: describeError(error) }, 'auth: onChange listener failed');
      }
    }
  }

  onChange(listener: (state: { state: SessionStateName; reason: string | null }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signOut(): Promise<void> {
    if (this.renewing) await this.renewing.catch(() => undefined);
    const metadata = this.init.config.serverMetadata();
    const toRevoke: [string, string][] = [];
    if (this.refreshToken !== null) toRevoke.push([this.refreshToken, 'refresh_token']);
    if (this.access !== '') toRevoke.push([this.access, 'access_token']);
    if (metadata.revocation_endpoint) {
      for (const [token, hint] of toRevoke) {
        try {
          await oc.tokenRevocation(this.init.config, token, { token_type_hint: hint });
        } catch (error) {
          this.init.logger?.warn({ err: describeError(error) }, 'auth: token revocation failed');
        }
      }
    }
    this.refreshToken = null;
    await this.forgetStored();
    this.markSignedOut('signed out by the user');
  }
}
