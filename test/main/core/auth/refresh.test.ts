// A refreshed ID token without `aud` (OpenID Connect Core §12.2, docs/auth.md) against a loopback
// stand-in SMART server (test/support/smart-stand-in.ts): the refresh is used and the session goes on;
// it used to sign the user out and forget a refresh token the server had already rotated.
import { afterEach, describe, expect, it } from 'vitest';
import {
  MemorySecretStore,
  refreshTokenKey,
  signInInteractive,
} from '../../../../src-main/core/auth/index.ts';
import { startSmartStandIn, type StandIn } from '../../../support/smart-stand-in.ts';

const CLIENT_ID = 'stand-in-client';
const servers: StandIn[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** The "browser": follow the stand-in's immediate approval to the client's loopback listener. */
async function approve(url: string): Promise<void> {
  const authorize = await fetch(url, { redirect: 'manual' });
  const location = authorize.headers.get('location');
  if (!location) throw new Error(`no redirect from the authorization endpoint (${authorize.status})`);
  await (await fetch(location)).text();
}

async function signIn(server: StandIn, store: MemorySecretStore) {
  return signInInteractive({
    fhirBase: server.fhirBase,
    clientId: CLIENT_ID,
    scopes: ['openid', 'fhirUser', 'offline_access', 'user/Observation.rs'],
    openUrl: approve,
    secretStore: store,
    allowInsecureLoopback: true,
  });
}

describe('refreshed ID token', () => {
  it('without aud: the new tokens are used, the identity is kept, the session goes on', async () => {
    const server = await startSmartStandIn({ refreshIdToken: 'no-aud' });
    servers.push(server);
    const store = new MemorySecretStore();
    const session = await signIn(server, store);
    const changes: Array<{ state: string; reason: string | null }> = [];
    session.onChange((change) => changes.push(change));
    const key = refreshTokenKey(server.fhirBase, CLIENT_ID);
    const firstRefresh = await store.get(key);
    const firstAccess = await session.accessToken();

    await session.refreshNow('token-expiring');
    expect(server.grants['refresh_token']).toBe(1);
    expect(await session.accessToken()).not.toBe(firstAccess);
    expect(session.fhirUser).toBe('Practitioner/stand-in-nurse');
    expect(session.renewalStatus()).toBeNull();
    const rotated = await store.get(key);
    expect(rotated).not.toBeNull();
    expect(rotated).not.toBe(firstRefresh);
    expect(changes.filter((c) => c.state === 'signed-out')).toEqual([]);
    // And again: the rotated refresh token is the one that works.
    await session.refreshNow('token-expiring');
    expect(server.grants['refresh_token']).toBe(2);
    expect(changes).toEqual([]);
  });

  it('with a different sub: not accepted, but never a sign-out; the stored refresh token is kept', async () => {
    const server = await startSmartStandIn({ refreshIdToken: 'other-sub' });
    servers.push(server);
    const store = new MemorySecretStore();
    const session = await signIn(server, store);
    const access = await session.accessToken();
    await expect(session.refreshNow('token-expiring')).rejects.toThrow();
    expect(session.renewalStatus()?.attempts).toBe(1);
    expect(await session.accessToken()).toBe(access); // still valid: used until it expires
    expect(await store.get(refreshTokenKey(server.fhirBase, CLIENT_ID))).not.toBeNull();
    expect(session.fhirUser).toBe('Practitioner/stand-in-nurse');
    await session.signOut();
  });
});
