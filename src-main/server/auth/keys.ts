// The RS256 key that signs ID tokens. Generated once per database and kept there, so ID tokens stay
// verifiable across restarts of the local server.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject, JsonWebKey } from 'node:crypto';
import type { AuthStore } from './store.ts';
import { randomId } from './store.ts';

export interface SigningKey {
  kid: string;
  alg: 'RS256';
  privateKey: KeyObject;
  publicJwk: JsonWebKey & { kid: string; alg: string; use: string };
}

export function loadOrCreateSigningKey(store: AuthStore, now: number): SigningKey {
  let stored = store.getSigningKey();
  if (!stored) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomId();
    store.saveSigningKey(kid, 'RS256', JSON.stringify(privateKey.export({ format: 'jwk' })), now);
    stored = store.getSigningKey();
    if (!stored) throw new Error('signing key was not stored');
  }
  const privateKey = createPrivateKey({ key: JSON.parse(stored.privateJwk) as JsonWebKey, format: 'jwk' });
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return {
    kid: stored.kid,
    alg: 'RS256',
    privateKey,
    publicJwk: { ...publicJwk, kid: stored.kid, alg: 'RS256', use: 'sig' },
  };
}
