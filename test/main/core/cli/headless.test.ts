// The headless monitor against the embedded server behind a real loopback fault proxy that cuts token
// endpoint answers, and every way its session can end: it recovers, or it ends with a non-zero code and
// the reason — never a silent exit 0 with alerts stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, startHeadless, type Headless } from '../../../../src-main/core/cli/headless.ts';
import { createLogger } from '../../../../src-main/core/log.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import { startFaultProxy, type FaultProxy } from '../../../support/fault-proxy.ts';
import { freePort } from '../../../support/free-port.ts';

const CLIENT_ID = 'headless-test';
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitFor<T>(
  what: string,
  probe: () => T | null | undefined | false,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Rig {
  server: RunningServer;
  proxy: FaultProxy;
  store: ClientStore;
  lines: Array<Record<string, unknown>>;
  headless: Headless;
  publicJwk: JWK;
}

async function keyPair() {
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `k-${Math.random().toString(36).slice(2)}`;
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES384' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' },
  };
}

/** Server (8 s tokens) <- fault proxy <- headless monitor, all on 127.0.0.1. */
async function startRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'headless-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { privateJwk, publicJwk } = await keyPair();
  const serverPort = await freePort();
  const proxy = await startFaultProxy({ upstreamPort: serverPort, seed: 7 });
  cleanups.push(() => proxy.close());
  const server = await startServer({
    port: serverPort,
    dbPath: join(dir, 'server.sqlite'),
    accessTokenTtlSeconds: 8,
    heartbeatSeconds: 2,
    publicOrigin: proxy.origin,
    backendClients: [
      { kind: 'backend', clientId: CLIENT_ID, jwks: { keys: [publicJwk] }, securityLabels: ['ward-a'] },
    ],
    simulate: { autoStart: false },
  });
  cleanups.push(() => server.close().catch(() => undefined));
  const store = openClientStore(join(dir, 'monitor.sqlite'));
  cleanups.push(() => store.close());
  const lines: Array<Record<string, unknown>> = [];
  const headless = await startHeadless({
    fhirBase: `${proxy.origin}/fhir`,
    clientId: CLIENT_ID,
    privateKey: privateJwk as typeof privateJwk & { kid: string },
    scopes: ['system/Observation.rs', 'system/Patient.rs', 'system/Subscription.cruds'],
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 2 }],
    store,
    allowInsecureLoopback: true,
    logger: createLogger('headless-test', 'silent'),
    line: (value) => lines.push(value),
    channelBackoff: { baseMs: 100, capMs: 1_000 },
  });
  cleanups.push(() => headless.stop());
  await waitFor('a live stream', () =>
    headless
      .monitor()
      ?.health()
      .some((h) => h.connection === 'live'),
  );
  return { server, proxy, store, lines, headless, publicJwk };
}

const notifiedAlerts = (lines: Array<Record<string, unknown>>, kind = 'alert') =>
  new Set(
    lines
      .filter((l) => l['kind'] === 'notification' && l['notificationKind'] === kind)
      .map((l) => String(l['alertId'])),
  );

describe('headless monitor with token faults', () => {
  it(
    'a dropped token response does not sign it out: the criticals behind it are notified',
    { timeout: 150_000 },
    async () => {
      const rig = await startRig();
      rig.proxy.setPlan({ dropTokenResponses: 1 });
      // The next renewal (token-expiring, or the session's own leeway) loses its answer.
      await waitFor('a dropped token response', () => rig.proxy.stats().tokenResponsesDropped === 1);
      const dropsAt = rig.proxy.stats().tokenRequests;
      const criticals = [0, 1, 2].map(() => rig.server.simulator?.emitCriticalPotassium('ward-a'));
      expect(criticals.every(Boolean)).toBe(true);

      const criticalAlerts = await waitFor('three critical alerts notified', () => {
        const ids = rig.store.alerts
          .list(50)
          .filter((a) => a.tier === 'critical' && a.fetch === 'ok')
          .map((a) => a.id);
        const notified = notifiedAlerts(rig.lines);
        return ids.length === 3 && ids.every((id) => notified.has(id)) ? ids : null;
      });
      expect(criticalAlerts).toHaveLength(3);
      // Renewal went on after the cut answer, and the session never ended.
      await waitFor('a renewal after the drop', () => rig.proxy.stats().tokenRequests > dropsAt);
      expect(rig.lines.filter((l) => l['state'] === 'signed-out')).toEqual([]);
      expect(rig.headless.session()).not.toBeNull();
      expect(rig.store.alerts.list(50).filter((a) => a.tier === 'unclassified')).toEqual([]);
    },
  );

  it(
    'token answers cut until the token expired: reads wait, nothing is silent, and it recovers',
    { timeout: 150_000 },
    async () => {
      const rig = await startRig();
      // Cut every token answer: renewal keeps failing, and health says so.
      rig.proxy.setPlan({ tokenResponseDropProbability: 1 });
      await waitFor('renewal failing', () => rig.headless.session()?.renewalStatus() ?? null);
      expect(rig.lines.some((l) => l['state'] === 'renewal-failing')).toBe(true);
      rig.server.simulator?.emitCriticalPotassium('ward-a');
      // Wait until the access token has expired, then let renewals through again.
      const expires = rig.headless.session()?.tokenExpiresAt() ?? 0;
      await waitFor('the access token to expire', () => Date.now() > expires + 500);
      rig.server.simulator?.emitCriticalPotassium('ward-a');
      rig.proxy.setPlan({ tokenResponseDropProbability: 0 });
      await waitFor('renewal recovered', () => rig.lines.some((l) => l['state'] === 'renewal-recovered'));
      const ids = await waitFor(
        'two criticals read and notified',
        () => {
          const read = rig.store.alerts.list(50).filter((a) => a.tier === 'critical' && a.fetch === 'ok');
          const notified = notifiedAlerts(rig.lines);
          return read.length === 2 && read.every((a) => notified.has(a.id)) ? read : null;
        },
        90_000,
      );
      expect(ids).toHaveLength(2);
      expect(rig.lines.filter((l) => l['state'] === 'signed-out')).toEqual([]);
    },
  );
});

describe('headless monitor sign-out paths', () => {
  it(
    'a refused client at renewal: signs in again and fails, then exits 1 with the reason',
    { timeout: 150_000 },
    async () => {
      const rig = await startRig();
      const other = await keyPair();
      // The server no longer knows our key: the next renewal is refused (invalid_client).
      rig.server.auth.registerClient({
        kind: 'backend',
        clientId: CLIENT_ID,
        jwks: { keys: [other.publicJwk] },
        securityLabels: ['ward-a'],
      });
      const exit = await rig.headless.exited;
      expect(exit.code).toBe(EXIT.signInFailed);
      expect(exit.reason).toMatch(/invalid_client|refused/);
      expect(rig.lines.some((l) => l['state'] === 'signed-out')).toBe(true);
      expect(rig.lines.at(-1)).toMatchObject({ kind: 'exit', code: EXIT.signInFailed });
    },
  );

  it(
    'signed out, and the key is accepted again: it signs in afresh and keeps notifying',
    { timeout: 150_000 },
    async () => {
      const rig = await startRig();
      const other = await keyPair();
      const original = {
        kind: 'backend' as const,
        clientId: CLIENT_ID,
        jwks: { keys: [rig.publicJwk] },
        securityLabels: ['ward-a'],
      };
      rig.server.auth.registerClient({ ...original, jwks: { keys: [other.publicJwk] } });
      // The moment the sign-out is written, the server takes our key again (before the fresh sign-in).
      const line = rig.lines.push.bind(rig.lines);
      rig.lines.push = (...items) => {
        if (items.some((l) => l['state'] === 'signed-out')) rig.server.auth.registerClient(original);
        return line(...items);
      };
      await waitFor('a fresh sign-in', () =>
        rig.lines.some((l) => l['reason'] === 'signed in again after a sign-out'),
      );
      await waitFor('a live stream again', () =>
        rig.headless
          .monitor()
          ?.health()
          .some((h) => h.connection === 'live'),
      );
      rig.server.simulator?.emitCriticalPotassium('ward-a');
      await waitFor('the critical notified', () => {
        const critical = rig.store.alerts.list(10).find((a) => a.tier === 'critical' && a.fetch === 'ok');
        return critical && notifiedAlerts(rig.lines).has(critical.id);
      });
      expect(rig.lines.filter((l) => l['kind'] === 'exit')).toEqual([]);
    },
  );

  it(
    'revoked by the server: every stream stops and it exits 3 with the reason',
    { timeout: 150_000 },
    async () => {
      const rig = await startRig();
      const token = rig.proxy.lastStreamToken();
      expect(token).not.toBeNull();
      const grantId = rig.server.auth.verifier.verify(token ?? '')?.grantId ?? '';
      rig.server.auth.revokeGrant(grantId);
      const exit = await rig.headless.exited;
      expect(exit.code).toBe(EXIT.alertsStopped);
      expect(exit.reason).toMatch(/revoked|unauthorized/);
    },
  );
});
