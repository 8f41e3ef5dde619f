// Registered clients of the local authorization server and redirect-URI matching (exact, except the port
// of loopback IP-literal redirects, RFC 8252 §7.3 / §8.4, RFC 9700 §2.1).
import type { JSONWebKeySet } from 'jose';
import type { RoleName } from '../base/roles.ts';
import { DEMO_CLIENT_ID } from '../demo-users.ts';

export interface PublicClientRegistration {
  kind: 'public';
  clientId: string;
  /** Registered redirect URIs; loopback `http://127.0.0.1/...` or `http://[::1]/...` match any port. */
  redirectUris: string[];
}

export interface BackendClientRegistration {
  kind: 'backend';
  clientId: string;
  /** Public keys (RS384 / ES384) that sign the client's `private_key_jwt` assertions; each key needs a `kid`. */
  jwks: JSONWebKeySet;
  /** `meta.security` codes the client's tokens may see (e.g. a ward display: `['ward-a']`). */
  securityLabels: string[];
  /** The client's role (base/roles.ts), whose ceiling bounds every grant; default `monitor` (read, subscribe). */
  role?: RoleName;
  /** `system/` scopes the client may be granted at most, within its role's ceiling; default: the ceiling. */
  allowedScopes?: string[];
}

export type ClientRegistration = PublicClientRegistration | BackendClientRegistration;

export const DEMO_PUBLIC_CLIENT: PublicClientRegistration = {
  kind: 'public',
  clientId: DEMO_CLIENT_ID,
  redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * True when `requested` may be used as redirect URI for a client registered with `registered`. Exact string
 * match, except that for `http` loopback IP literals any port is allowed (the registered one usually has
 * none). `localhost` is deliberately not treated as loopback (RFC 8252 §8.3: NOT RECOMMENDED).
 */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const reg = parseUrl(registered);
  const req = parseUrl(requested);
  if (!reg || !req) return false;
  if (reg.protocol !== 'http:' || req.protocol !== 'http:') return false;
  if (!LOOPBACK_HOSTS.has(reg.hostname) || reg.hostname !== req.hostname) return false;
  if (req.username || req.password || req.hash || requested.includes('#')) return false;
  return reg.pathname === req.pathname && reg.search === req.search;
}

export class ClientRegistry {
  private readonly clients = new Map<string, ClientRegistration>();

  constructor(clients: readonly ClientRegistration[]) {
    for (const client of clients) this.clients.set(client.clientId, client);
  }

  get(clientId: string | undefined): ClientRegistration | undefined {
    return clientId === undefined ? undefined : this.clients.get(clientId);
  }

  set(client: ClientRegistration): void {
    this.clients.set(client.clientId, client);
  }
}
