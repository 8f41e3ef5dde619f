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

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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

describe('renewal during a server outage (503 temporarily_unavailable)', () => {
  it('keeps the session, uses the token it has, retries with backoff and recovers', async () => {
    const server = await startSmartStandIn({ refreshIdToken: 'conformant' });
    servers.push(server);
    const store = new MemorySecretStore();
    const session = await signIn(server, store);
    const changes: Array<{ state: string; reason: string | null }> = [];
    session.onChange((change) => changes.push(change));
    const access = await session.accessToken();
    server.failRefreshes = 2;
    await expect(session.refreshNow('token-expiring')).rejects.toThrow(/unexpected HTTP response status/);
    expect(session.renewalStatus()).toMatchObject({ attempts: 1 });
    expect(await session.accessToken()).toBe(access);
    await waitFor('renewal to recover', () => session.renewalStatus() === null);
    expect(server.grants['refresh_token']).toBe(3);
    expect(await session.accessToken()).not.toBe(access);
    expect(changes.map((c) => c.state)).toEqual(['signed-in', 'signed-in', 'signed-in']);
    expect(changes.at(-1)?.reason).toBeNull();
    expect(await store.get(refreshTokenKey(server.fhirBase, CLIENT_ID))).not.toBeNull();
  }, 60_000);

  it('an interactive session whose token expires during the outage ends, keeping its stored refresh token', async () => {
    const server = await startSmartStandIn({ refreshIdToken: 'conformant', accessTokenTtlSeconds: 3 });
    servers.push(server);
    const store = new MemorySecretStore();
    const session = await signIn(server, store);
    const changes: Array<{ state: string; reason: string | null }> = [];
    session.onChange((change) => changes.push(change));
    server.failRefreshes = 1_000;
    await session.refreshNow('token-expiring').catch(() => undefined);
    await waitFor('the sign-out at expiry', () => changes.some((c) => c.state === 'signed-out'));
    expect(changes.find((c) => c.state === 'signed-out')?.reason).toMatch(
      /expired while renewal kept failing/,
    );
    await expect(session.accessToken()).rejects.toThrow(/signed out/);
    // Never refused: the stored refresh token is kept for the next start.
    expect(await store.get(refreshTokenKey(server.fhirBase, CLIENT_ID))).not.toBeNull();
  }, 60_000);
});
