// A ward workstation, composed: the ward identity's key (read from the configured file, or made once
// by the local demo), its registration with the embedded server in local-demo mode, and the service's
// ward settings (what is watched, where, signed in how). docs/deployment.md has the worked example.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { Logger } from '../core/log.ts';
import { topicsForRole } from '../core/monitor/topics.ts';
import type { ServerChoice, WardWorkstation } from '../core/service.ts';
import { clientPrincipal } from '../core/store/owners.ts';
import { writePrivateFile } from '../lib/private-files.ts';
import type { BackendClientRegistration } from '../server/auth/index.ts';
import type { WardIdentity } from './mode.ts';
import { publicJwk, readWardKey, wardSignIn, type WardKey } from './ward-identity.ts';

/** The key file the local demo makes for its ward identity, in the data directory (0600). */
export const DEMO_WARD_KEY_FILE = 'ward-identity.private.jwk.json';

export interface WardPlan {
  identity: WardIdentity;
  key: WardKey;
}

/** The configured key, or (local demo without one) the demo's own, made on first use. */
export async function wardKeyFor(identity: WardIdentity, dataDir: string): Promise<WardKey> {
  if (identity.privateKeyFile) return readWardKey(identity.privateKeyFile);
  const file = join(dataDir, DEMO_WARD_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const kid = `${identity.clientId}-${Date.now().toString(36)}`;
    writePrivateFile(
      file,
      `${JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES384' }, null, 2)}\n`,
    );
  }
  return readWardKey(file);
}

/** What IT registers at a hospital server, done by the local demo itself: the key, limited to the ward. */
export function demoWardRegistration(plan: WardPlan): BackendClientRegistration {
  return {
    kind: 'backend',
    clientId: plan.identity.clientId,
    jwks: { keys: [publicJwk(plan.key)] },
    securityLabels: [plan.identity.ward],
    // Reads its ward, keeps its subscriptions, and issues escalation steps (base/roles.ts).
    role: 'ward-workstation',
  };
}

/** The service's ward settings: the ward's alerts watched on `server` under the ward identity. */
export function wardWorkstation(
  plan: WardPlan,
  server: Omit<ServerChoice, 'role'>,
  logger: Logger,
): WardWorkstation {
  return {
    kind: 'ward',
    ward: plan.identity.ward,
    server,
    principal: clientPrincipal(plan.identity.clientId),
    signIn: wardSignIn({
      fhirBase: server.fhirBase,
      clientId: plan.identity.clientId,
      key: plan.key,
      ...(plan.identity.scopes ? { scopes: plan.identity.scopes } : {}),
      logger,
    }),
    // The charge nurse's topics: the ward's critical results and its admissions, transfers, discharges.
    topics: topicsForRole('nurse'),
  };
}
