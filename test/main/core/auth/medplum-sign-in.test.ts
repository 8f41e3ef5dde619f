// Sign-in against a server that signs like Medplum 5.0.10 did on this machine (test/support/fhir-peer.ts):
// ID tokens signed ES256 while the SMART configuration names no algorithm (the OpenID configuration and
// the JWKS do), redirect URIs matched exactly, `auth_time` fractional, `iss` with a trailing slash. The
// real openid-client flow through the app's loopback listener; the user's step is done headlessly. A
// ward workstation's backend sign-in (private_key_jwt) gets an ES256 ID token it did not ask for.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { DEFAULT_WARD_SCOPES } from '../../../../src-main/app/ward-identity.ts';
import {
  DEFAULT_SCOPES,
  MemorySecretStore,
  resumeSession,
  signInBackendServices,
  signInInteractive,
} from '../../../../src-main/core/auth/index.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { startFhirPeer, type FhirPeer } from '../../../support/fhir-peer.ts';
import { completeMedplumLogin } from '../../../support/medplum-login.ts';
import { freePort } from '../../../support/free-port.ts';

const NURSE = { email: 'nurse@example.com', password: 'nurse-password-123', profile: 'Practitioner/nurse-1' };
const CLIENT_ID = 'client-app-1';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function peerWithClient(redirectUri: string): Promise<FhirPeer> {
  const peer = await startFhirPeer({
    users: [{ ...NURSE, refreshTokens: true }],
    clients: [{ id: CLIENT_ID, redirectUris: [redirectUri] }],
  });
  cleanups.push(() => peer.close());
  return peer;
}

describe('sign-in against a server that signs ES256 and matches redirect URIs exactly', () => {
  it('signs in through the registered loopback redirect, takes ES256 from the JWKS, and resumes', async () => {
    const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const peer = await peerWithClient(redirectUri);
    const secrets = new MemorySecretStore();
    const seen: string[] = [];
    const session = await signInInteractive({
      fhirBase: peer.base,
      clientId: CLIENT_ID,
      scopes: DEFAULT_SCOPES.nurse,
      redirectUri,
      allowInsecureLoopback: true,
      secretStore: secrets,
      openUrl: async (url) => {
        seen.push(url);
        const done = await completeMedplumLogin(url, NURSE);
        expect(done).toEqual({ authorizeStatus: 302, callbackStatus: 200 });
      },
    });
    expect(new URL(seen[0] ?? '').searchParams.get('redirect_uri')).toBe(redirectUri);
    expect(session.fhirUser).toBe(NURSE.profile);
    expect(
      (
        await fetch(`${peer.base}/metadata`, {
          headers: { authorization: `Bearer ${await session.accessToken()}` },
        })
      ).status,
    ).toBe(200);

    // The refresh answers with a new ES256 ID token too: the silent sign-in takes it.
    const resumed = await resumeSession({
      fhirBase: peer.base,
      clientId: CLIENT_ID,
      secretStore: secrets,
      allowInsecureLoopback: true,
    });
    expect(resumed?.fhirUser).toBe(NURSE.profile);
  });

  it('says plainly when the registered redirect port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const peer = await peerWithClient(`http://127.0.0.1:${port}/callback`);
    await expect(
      signInInteractive({
        fhirBase: peer.base,
        clientId: CLIENT_ID,
        redirectUri: `http://127.0.0.1:${port}/callback`,
        allowInsecureLoopback: true,
        openUrl: async () => undefined,
      }),
    ).rejects.toThrow(`needs port ${port} on 127.0.0.1, which another program is using`);
    await expect(
      signInInteractive({
        fhirBase: peer.base,
        clientId: CLIENT_ID,
        redirectUri: 'http://localhost/callback',
        allowInsecureLoopback: true,
        openUrl: async () => undefined,
      }),
    ).rejects.toThrow(/explicit port/);
  });

  it('signs a ward workstation in with its private key, taking the ES256 ID token it did not ask for', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const kid = 'ward-a-1';
    const peer = await startFhirPeer({
      clients: [
        {
          id: 'ward-a-client',
          redirectUris: [],
          jwks: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }],
        },
      ],
    });
    cleanups.push(() => peer.close());
    const session = await signInBackendServices({
      fhirBase: peer.base,
      clientId: 'ward-a-client',
      privateKey: await exportJWK(privateKey),
      kid,
      scopes: DEFAULT_WARD_SCOPES,
      allowInsecureLoopback: true,
      logger: silentLogger(),
    });
    expect(
      (
        await fetch(`${peer.base}/metadata`, {
          headers: { authorization: `Bearer ${await session.accessToken()}` },
        })
      ).status,
    ).toBe(200);
    // A key the client did not register is refused with the server's words.
    const { privateKey: stranger } = await generateKeyPair('ES384', { extractable: true });
    await expect(
      signInBackendServices({
        fhirBase: peer.base,
        clientId: 'ward-a-client',
        privateKey: await exportJWK(stranger),
        kid,
        scopes: DEFAULT_WARD_SCOPES,
        allowInsecureLoopback: true,
        logger: silentLogger(),
      }),
    ).rejects.toThrow(/Invalid client assertion signature/);
  });
});
