// A ward workstation, black-box over the browser host's HTTP API: configured by a deployment file, the
// ward watched under its own SMART Backend Services identity whoever is at the screen; a locked view
// without names while nobody is signed in; a clinician's sign-in to see and act, each action recorded
// as hers and re-checked against the server with her own token.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src-main/app/config.ts';
import type { AppMode } from '../../../src-main/app/mode.ts';
import { DEMO_CLIENT_ID } from '../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../src-main/server/server.ts';
import type { AlertSummary, LockedWardView } from '../../../src-main/shared/api.ts';
import { startHostClient, type HostClient } from './host-client.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function configured(content: unknown): AppMode {
  const path = join(mkdtempSync(join(tmpdir(), 'ward-config-')), 'config.json');
  writeFileSync(path, JSON.stringify(content));
  return loadDeployment({ argv: ['--config', path], env: {} });
}

async function workstation(mode: AppMode): Promise<HostClient> {
  const host = await startHostClient(mode);
  cleanups.push(() => host.close());
  return host;
}

const locked = async (host: HostClient) =>
  ((await host.call('getLockedWard', {})).body as { result: LockedWardView }).result;

/** Until the locked view shows a critical; returns the view's JSON as the page received it. */
async function lockedCritical(host: HostClient): Promise<{ view: LockedWardView; json: string }> {
  return host.waitFor('a critical on the locked ward view', async () => {
    const view = await locked(host);
    return view.alerts.some((a) => a.tier === 'critical') ? { view, json: JSON.stringify(view) } : null;
  });
}

/** A hospital server where IT registered the ward identity's public key for ward A only. */
async function hospitalWithWardClient(): Promise<{ server: RunningServer; keyFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ward-hospital-'));
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const keyFile = join(dir, 'ward-a.private.jwk.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'ward-a-1', alg: 'ES384' }));
  chmodSync(keyFile, 0o600);
  const server = await startServer({
    port: 0,
    dbPath: join(dir, 'server.sqlite'),
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
    backendClients: [
      {
        kind: 'backend',
        clientId: 'ward-a-workstation',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'ward-a-1', alg: 'ES384', use: 'sig' }] },
        securityLabels: ['ward-a'],
      },
    ],
  });
  cleanups.push(() => server.close());
  return { server, keyFile };
}

describe('ward workstation', () => {
  it('local demo: with nobody signed in a critical shows on the locked view without a name; the nurse who signs in sees and acknowledges it as herself', async () => {
    const host = await workstation(
      configured({
        localDemo: { enabled: true, simulationRate: 0 },
        workstation: { mode: 'ward', ward: 'ward-a', identity: { clientId: 'ward-a-workstation' } },
      }),
    );
    const { view, json } = await lockedCritical(host);
    const waiting = view.alerts.find((a) => a.tier === 'critical');
    expect(view.ward).toBe('ward-a');
    expect(view.degraded).toBeNull();
    expect(waiting?.bed).toMatch(/^Ward A bed \d+$/);
    expect(Object.keys(waiting ?? {}).sort()).toEqual([
      'bed',
      'escalationLevel',
      'id',
      'tier',
      'waitingSince',
    ]);
    // Nothing else answers with patient data while nobody is signed in.
    expect((await host.call('listAlerts', { limit: 100 })).body).toEqual({ result: [] });
    expect((await host.call('acknowledge', { alertId: waiting?.id })).status).toBe(403);

    await host.signInAs('nurse-a');
    const alert = await host.waitForAlert((a) => a.id === waiting?.id && Boolean(a.patient?.name));
    const name = alert.patient?.name ?? '';
    expect(name.length).toBeGreaterThan(3);
    expect(json).not.toContain(name);
    expect(json).not.toMatch(/Potassium|\b6\.8\b|Patient\//);

    // She opens the critical before acknowledging it, naming the patient the detail shows.
    await host.call('markSeen', { alertId: alert.id });
    const acked = (
      await host.call('acknowledge', {
        alertId: alert.id,
        note: 'read back',
        patient: alert.patient?.reference,
      })
    ).body as {
      result: AlertSummary;
    };
    expect(acked.result.lifecycle?.acknowledgedBy).toBe('Practitioner/nurse-a');
    await host.waitFor('the write-back', async () => {
      const list = ((await host.call('listAlerts', { limit: 100 })).body as { result: AlertSummary[] })
        .result;
      const row = list.find((a) => a.id === alert.id);
      return row?.lifecycle?.writeback.state === 'done' ? row : null;
    });
    const audit = ((await host.call('exportAudit', {})).body as { result: { csv: string } }).result.csv;
    const acknowledgment = audit.split('\r\n').find((line) => line.includes('state:acknowledged')) ?? '';
    expect(acknowledgment).toContain('Practitioner/nurse-a');
    expect(audit).not.toContain('client/ward-a-workstation');
    // Acknowledged: no longer waiting on the locked screen.
    await host.call('signOut', {});
    expect((await locked(host)).alerts.map((a) => a.id)).not.toContain(alert.id);
  }, 90_000);

  it('hospital server: the ward is watched under its identity; a Ward B nurse is refused by the server, a Ward A nurse acts', async () => {
    const { server, keyFile } = await hospitalWithWardClient();
    const host = await workstation(
      configured({
        servers: [{ name: 'St. Elsewhere', fhirBase: server.fhirBase, clientId: DEMO_CLIENT_ID }],
        workstation: {
          mode: 'ward',
          ward: 'ward-a',
          identity: { clientId: 'ward-a-workstation', privateKeyFile: keyFile },
        },
      }),
    );
    await host.waitLive();
    server.simulator?.emitCriticalPotassium('ward-b'); // another ward: never received here
    server.simulator?.emitCriticalPotassium('ward-a');
    const { view } = await lockedCritical(host);
    expect(view.alerts).toHaveLength(1);
    const id = view.alerts[0]?.id ?? '';

    await host.signInAs('nurse-b');
    expect(
      ((await host.call('listAlerts', { limit: 100 })).body as { result: AlertSummary[] }).result,
    ).toEqual([]);
    for (const method of ['markSeen', 'acknowledge', 'resolveAlert', 'retryWriteback']) {
      const answer = await host.call(method, { alertId: id });
      expect(answer.status, method).toBe(403);
      expect(answer.body).toMatchObject({
        error: 'Not permitted: the server does not let you see this record.',
      });
    }
    await host.call('signOut', {});
    // Nothing changed: still waiting, unseen, on the locked view.
    expect((await locked(host)).alerts).toEqual([expect.objectContaining({ id, escalationLevel: 0 })]);

    await host.signInAs('nurse-a');
    const alert = await host.waitForAlert((a) => a.id === id);
    expect(alert.lifecycle).toMatchObject({
      seenBy: null,
      acknowledgedBy: null,
      writeback: { state: 'none' },
    });
    const seen = (await host.call('markSeen', { alertId: id })).body as { result: AlertSummary };
    expect(seen.result.lifecycle?.seenBy).toBe('Practitioner/nurse-a');
  }, 90_000);

  it('says in red when the ward cannot be watched (the ward identity is refused)', async () => {
    const { server } = await hospitalWithWardClient();
    const stranger = mkdtempSync(join(tmpdir(), 'ward-stranger-'));
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const keyFile = join(stranger, 'unregistered.private.jwk.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'nope', alg: 'ES384' }));
    chmodSync(keyFile, 0o600);
    const host = await workstation(
      configured({
        servers: [{ name: 'St. Elsewhere', fhirBase: server.fhirBase, clientId: DEMO_CLIENT_ID }],
        workstation: {
          mode: 'ward',
          ward: 'ward-a',
          identity: { clientId: 'ward-a-workstation', privateKeyFile: keyFile },
        },
      }),
    );
    const view = await host.waitFor('the locked view to say the ward is not watched', async () => {
      const current = await locked(host);
      return current.degraded?.includes('not being watched') ? current : null;
    });
    expect(view.degraded).toMatch(
      /^Ward ward-a: the ward is not being watched: backend-services sign-in failed/,
    );
  }, 60_000);
});
