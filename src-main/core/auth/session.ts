// A signed-in SMART session: holds the tokens (main process only), renews the access token ahead of
// expiry, and rotates refresh tokens through the SecretStore. A renewal that fails for a transient
// reason (a dropped token response, a timeout, a 5xx) keeps the session: the current access token is
// used until it actually expires while renewal is retried with backoff, and `renewalStatus()` says so
// (health shows it in red). Only a refusal — invalid_grant (expired, revoked or spent grant), a refused
// client — ends the session; an interactive session also ends when its access token expires before any
// retry worked (the stored refresh token is kept: it was never refused). Backend Services never ends
// for a transient reason: it asks for a new grant with its key until one is issued (docs/auth.md).
import type pino from 'pino';
import * as oc from 'openid-client';
import { RefreshResponseTap, tokenFields, type TokenFields } from './refresh-id-token.ts';
import { isRefusal, renewalDelayMs, TokenRenewalPendingError, type RenewalStatus } from './renewal.ts';
import type { SecretStore } from './secret-store.ts';

export type SessionStateName = 'signed-in' | 'signed-out';
export type { RenewalStatus } from './renewal.ts';
export type { TokenResponse } from './refresh-id-token.ts';

export interface SmartSession {
  fhirBase: string;
  fhirUser: string | null;
  patient: string | null;
  needPatientBanner: boolean;
  scopes: string[];
  /**
   * A valid access token; renews it first when it expires within the leeway and renewal is possible.
   * Rejects with SignedOutError when the session is over, and with TokenRenewalPendingError when the
   * token expired while renewal is still being retried (Backend Services).
   */
  accessToken(): Promise<string>;
  tokenExpiresAt(): number | null;
  /**
   * Renews now (e.g. on the server's `token-expiring` event). Rejects with SignedOutError when the
   * server refused (the session is then over), with another error when the attempt failed transiently
   * (the session goes on; retries are already scheduled).
   */
  refreshNow(reason: string): Promise<void>;
  /** Non-null while renewal is failing (transiently); null when the last renewal worked. */
  renewalStatus(): RenewalStatus | null;
  /**
   * Sign-out (with the reason), and — with state 'signed-in' — renewal starting to fail (reason says
   * why) or recovering (reason null).
   */
  onChange(listener: (state: { state: SessionStateName; reason: string | null }) => void): () => void;
  /** Revokes the tokens at the server and deletes the stored refresh token. */
  signOut(): Promise<void>;
}

/** The reason a session ends when its user signs out, whatever else failed meanwhile. */
const SIGNED_OUT_BY_USER = 'signed out by the user';

export class SignedOutError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`signed out: ${reason}`);
    this.name = 'SignedOutError';
    this.reason = reason;
  }
}

export interface SessionInit {
  config: oc.Configuration;
  fhirBase: string;
  /** The sign-in's tokens (`tokenFields(response)`). */
  tokens: TokenFields;
  /** How to get a new token response: refresh-token grant (interactive) or a new client-credentials grant. */
  renew: 'refresh-token' | { clientCredentials: { scope: string } };
  secretStore: SecretStore | undefined;
  secretKey: string;
  refreshLeewaySeconds: number;
  logger: pino.Logger | undefined;
  requestedScopes: string[];
  /** Pauses between renewal attempts (tests shorten them). Default 1 s doubling to 30 s. */
  renewalBackoff?: { baseMs: number; capMs: number };
}

export function describeError(error: unknown): string {
  if (error instanceof oc.ResponseBodyError)
    return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof Error) {
    // undici hides the useful part ("ECONNRESET", "other side closed") in `cause`.
    const cause: unknown = error.cause;
    const detail =
      cause instanceof Error
        ? cause.message
        : typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
          ? cause.code
          : null;
    return detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message;
  }
  return String(error);
}

export class Session implements SmartSession {
  readonly fhirBase: string;
  fhirUser: string | null = null;
  patient: string | null = null;
  needPatientBanner = false;
  scopes: string[] = [];

  private readonly init: SessionInit;
  private readonly tap: RefreshResponseTap | null;
  private access: string;
  private expiresAt: number | null = null;
  private lifetimeMs: number | null = null;
  private refreshToken: string | null = null;
  private identity: { iss: string; sub: string } | null = null;
  private state: SessionStateName = 'signed-in';
  private reason: string | null = null;
  /**
   * The user asked to sign out and the revocation is under way: from that moment the token goes to no
   * request and is never renewed (a read that meets the revoked grant must not send the revoked refresh
   * token back), and however the session ends, it ends as the user's sign-out.
   */
  private signingOut = false;
  private renewing: Promise<void> | null = null;
  private failing: RenewalStatus | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(state: { state: SessionStateName; reason: string | null }) => void>();

  constructor(init: SessionInit) {
    this.init = init;
    this.fhirBase = init.fhirBase;
    this.access = '';
    this.tap = init.renew === 'refresh-token' ? new RefreshResponseTap(init.config) : null;
    this.apply(init.tokens);
  }

  /** Stores the refresh token of the initial response (after sign-in). */
  async persistInitial(): Promise<void> {
    if (this.refreshToken !== null) await this.persist(this.refreshToken);
  }

  private apply(tokens: TokenFields): void {
    this.access = tokens.accessToken;
    this.lifetimeMs = tokens.expiresIn === null ? null : tokens.expiresIn * 1000;
    this.expiresAt = tokens.expiresIn === null ? null : Date.now() + tokens.expiresIn * 1000;
    if (tokens.refreshToken !== null) this.refreshToken = tokens.refreshToken;
    this.scopes =
      tokens.scope === null
        ? this.scopes.length > 0
          ? this.scopes
          : this.init.requestedScopes
        : tokens.scope.split(' ');
    if (tokens.fhirUser !== null) this.fhirUser = tokens.fhirUser;
    if (tokens.identity !== null) this.identity ??= tokens.identity;
    if (tokens.patient !== null) this.patient = tokens.patient;
    if (tokens.needPatientBanner !== null) this.needPatientBanner = tokens.needPatientBanner;
  }

  private canRenew(): boolean {
    return this.init.renew !== 'refresh-token' || this.refreshToken !== null;
  }

  private leewayMs(): number {
    const leeway = this.init.refreshLeewaySeconds * 1000;
    return this.lifetimeMs === null ? leeway : Math.min(leeway, this.lifetimeMs / 2);
  }

  private expired(now = Date.now()): boolean {
    return this.expiresAt !== null && now >= this.expiresAt;
  }

  async accessToken(): Promise<string> {
    if (this.signingOut) throw new SignedOutError(SIGNED_OUT_BY_USER);
    if (this.state === 'signed-out') throw new SignedOutError(this.reason ?? 'signed out');
    if (this.renewing) await this.renewing.catch(() => undefined);
    else if (this.expiresAt !== null && Date.now() >= this.expiresAt - this.leewayMs()) {
      // While renewal is failing, the retry timer owns the attempts: callers use the token it has.
      if (this.failing === null && this.canRenew())
        await this.refreshNow('access token about to expire').catch(() => undefined);
      else if (!this.canRenew() && this.expired()) {
        this.markSignedOut('access token expired and there is no refresh token');
      }
    }
    if (this.isSignedOut()) throw new SignedOutError(this.reason ?? 'signed out');
    if (this.expired() && this.failing !== null) {
      throw new TokenRenewalPendingError(
        `the access token expired; renewal is being retried (${this.failing.lastError})`,
      );
    }
    return this.access;
  }

  private isSignedOut(): boolean {
    return this.state === 'signed-out';
  }

  tokenExpiresAt(): number | null {
    return this.expiresAt;
  }

  renewalStatus(): RenewalStatus | null {
    return this.failing === null ? null : { ...this.failing };
  }

  refreshNow(reason: string): Promise<void> {
    if (this.signingOut) return Promise.reject(new SignedOutError(SIGNED_OUT_BY_USER));
    if (this.state === 'signed-out') return Promise.reject(new SignedOutError(this.reason ?? 'signed out'));
    if (this.renewing) return this.renewing;
    if (!this.canRenew()) {
      this.markSignedOut(`cannot renew (${reason}): no refresh token`);
      return Promise.reject(new SignedOutError(this.reason ?? 'signed out'));
    }
    this.clearRetry();
    this.renewing = this.renew(reason).finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  /** One renewal attempt: success clears the failure; a refusal ends the session; anything else retries. */
  private async renew(reason: string): Promise<void> {
    let tokens: TokenFields;
    try {
      tokens = await this.requestTokens();
    } catch (error) {
      if (isRefusal(error)) {
        const why = `token renewal refused (${reason}): ${describeError(error)}`;
        this.refreshToken = null;
        await this.forgetStored();
        this.markSignedOut(why);
        throw new SignedOutError(why);
      }
      this.recordFailure(reason, error);
      throw error instanceof Error ? error : new Error(String(error));
    }
    // Rotation: the old refresh token is now spent at the server. Persist the new one before the new access
    // token is handed out, so a crash cannot leave only a spent token on disk.
    if (tokens.refreshToken !== null) await this.persist(tokens.refreshToken);
    this.apply(tokens);
    const recovered = this.failing !== null;
    if (this.failing !== null) {
      this.init.logger?.info(
        { fhirBase: this.fhirBase, attempts: this.failing.attempts },
        'auth: token renewal recovered',
      );
    }
    this.failing = null;
    if (recovered) this.tell({ state: 'signed-in', reason: null });
    this.init.logger?.info({ fhirBase: this.fhirBase, reason }, 'auth: access token renewed');
  }

  private async requestTokens(): Promise<TokenFields> {
    if (this.init.renew !== 'refresh-token') {
      return tokenFields(
        await oc.clientCredentialsGrant(this.init.config, { scope: this.init.renew.clientCredentials.scope }),
      );
    }
    let fields: TokenFields;
    try {
      const response = await oc.refreshTokenGrant(this.init.config, this.refreshToken ?? '');
      this.tap?.clear();
      fields = tokenFields(response);
    } catch (error) {
      const accepted = this.tap?.acceptMissingAud(error, this.identity, this.init.logger) ?? null;
      if (accepted === null) throw error;
      return accepted;
    }
    // OpenID Connect Core §12.2: a refreshed ID token names the same issuer and subject as the sign-in.
    const was = this.identity;
    const now = fields.identity;
    if (was !== null && now !== null && (now.iss !== was.iss || now.sub !== was.sub)) {
      throw new Error('the refreshed ID token names another issuer or subject (OpenID Connect Core §12.2)');
    }
    return fields;
  }

  /**
   * A transient failure: remember it (health shows it), and schedule the next attempt. An interactive
   * session whose access token has expired meanwhile is over, but its stored refresh token is kept.
   */
  private recordFailure(reason: string, error: unknown): void {
    const now = Date.now();
    const attempts = (this.failing?.attempts ?? 0) + 1;
    const lastError = describeError(error).slice(0, 300);
    this.init.logger?.warn(
      { fhirBase: this.fhirBase, attempts, err: lastError, reason },
      'auth: token renewal failed; retrying',
    );
    if (this.init.renew === 'refresh-token' && this.expired(now)) {
      this.failing = null;
      this.markSignedOut(
        `the access token expired while renewal kept failing (${attempts} attempts; last: ${lastError})`,
      );
      return;
    }
    let delay = renewalDelayMs(attempts, Math.random, this.init.renewalBackoff);
    // An interactive session gets one last attempt right at expiry rather than none.
    if (this.init.renew === 'refresh-token' && this.expiresAt !== null)
      delay = Math.max(0, Math.min(delay, this.expiresAt - now));
    this.failing = {
      failingSince: this.failing?.failingSince ?? now,
      attempts,
      lastError,
      nextAttemptAt: now + delay,
    };
    this.tell({ state: 'signed-in', reason: `token renewal failing: ${lastError}` });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.failing !== null) this.failing.nextAttemptAt = null;
      this.refreshNow('retrying a failed renewal').catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
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

  private markSignedOut(why: string): void {
    if (this.state === 'signed-out') return;
    const reason = this.signingOut ? SIGNED_OUT_BY_USER : why;
    this.state = 'signed-out';
    this.reason = reason;
    this.access = '';
    this.failing = null;
    this.clearRetry();
    // The user's own sign-out is routine; any other end of a session is worth a look.
    const level = reason === SIGNED_OUT_BY_USER ? 'info' : 'warn';
    this.init.logger?.[level]({ fhirBase: this.fhirBase, reason }, 'auth: signed out');
    this.tell({ state: 'signed-out', reason });
  }

  /** Listeners hear sign-out, and (state 'signed-in') renewal starting to fail or recovering. */
  private tell(change: { state: SessionStateName; reason: string | null }): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
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
    this.signingOut = this.state === 'signed-in';
    this.clearRetry();
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
    this.markSignedOut(SIGNED_OUT_BY_USER);
    this.signingOut = false;
  }
}
