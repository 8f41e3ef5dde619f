// Short-lived, single-use binding tokens ($get-ws-binding-token). They let a browser EventSource or a
// websocket connect without the access token in a URL. A binding token carries the grant it was issued
// under, so the stream it opens still expires and is revoked with that grant.
import { randomBytes } from 'node:crypto';
import type { AccessGrant } from '../base/grant.ts';

export interface BindingToken {
  grant: AccessGrant;
  subscriptionIds: string[];
  expiresAt: number;
}

export interface BindingTokens {
  issue(grant: AccessGrant, subscriptionIds: string[], now: number): { token: string; expiresAt: number };
  /** Consume a token: returns it once, then never again. Null when unknown or expired. */
  take(token: string, now: number): BindingToken | null;
  revokeGrants(grantIds: readonly string[]): void;
}

export function createBindingTokens(ttlSeconds: number): BindingTokens {
  const tokens = new Map<string, BindingToken>();
  const sweep = (now: number): void => {
    for (const [token, entry] of tokens) if (entry.expiresAt <= now) tokens.delete(token);
  };
  return {
    issue(grant, subscriptionIds, now) {
      sweep(now);
      const token = `bt_${randomBytes(24).toString('base64url')}`;
      // Never outlive the access grant it stands for.
      const expiresAt = Math.min(now + ttlSeconds * 1000, grant.expiresAt);
      tokens.set(token, { grant, subscriptionIds, expiresAt });
      return { token, expiresAt };
    },
    take(token, now) {
      const entry = tokens.get(token);
      if (!entry) return null;
      tokens.delete(token);
      return entry.expiresAt > now ? entry : null;
    },
    revokeGrants(grantIds) {
      for (const [token, entry] of tokens) if (grantIds.includes(entry.grant.grantId)) tokens.delete(token);
    },
  };
}
