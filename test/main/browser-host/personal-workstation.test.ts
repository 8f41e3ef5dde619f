// A personal workstation, black-box over the browser host's HTTP API against the real embedded server
// (SMART sign-in through the server's sign-in page, SSE, SQLite). The threats: patient data answered
// to nobody after a sign-out, and one user's alert shown to, or closed by, another.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../../src-main/core/auth/index.ts';
import { DEMO_CLIENT_ID } from '../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../src-main/server/server.ts';
import type { AlertSummary, SessionInfo } from '../../../src-main/shared/api.ts';
import { startHostClient, type HostClient } from './host-client.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function hospital(): Promise<RunningServer> {
  const server = await startServer({
    port: 0,
    dbPath: join(mkdtempSync(join(tmpdir(), 'personal-server-')), 'server.sqlite'),
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
  });
  cleanups.push(() => server.close());
  return server;
}

async function workstation(server: RunningServer): Promise<HostClient> {
  const host = await startHostClient({
    kind: 'servers',
    servers: [{ fhirBase: server.fhirBase, name: 'Test hospital', clientId: DEMO_CLIENT_ID }],
  });
  cleanups.push(() => host.close());
  return host;
}

/** A workstation on a fresh hospital server, Alex Rivera (nurse-a) signed in, and one Ward A critical. */
async function signedInWithCritical(): Promise<{
  server: RunningServer;
  host: HostClient;
  critical: AlertSummary;
}> {
  const server = await hospital();
  const host = await workstation(server);
  await host.signInAs('nurse-a');
  await host.waitLive();
  server.simulator?.emitCriticalPotassium('ward-a');
  const critical = await host.waitForAlert((a) => a.tier === 'critical' && Boolean(a.patient?.name));
  return { server, host, critical };
}

/** Every call a page can make that could carry patient data, with plausible arguments. */
async function everyAnswer(host: HostClient, alert: AlertSummary): Promise<string> {
  const calls: Array<[string, unknown]> = [
    ['getSession', {}],
    ['listAlerts', { limit: 1000 }],
    ['getResource', { reference: alert.focus }],
    ['getResource', { reference: 'Patient/x' }],
    ['getObservationTrend', { reference: alert.focus }],
    ['getAllergies', { patient: 'Patient/x' }],
    ['getWardBoard', {}],
    ['getHealth', {}],
    ['getAlertingStatus', {}],
    ['getLockedWard', {}],
    ['markSeen', { alertId: alert.id }],
    ['acknowledge', { alertId: alert.id }],
    ['resolveAlert', { alertId: alert.id }],
    ['retryWriteback', { alertId: alert.id }],
    ['exportAudit', {}],
  ];
  const answers: string[] = [];
  for (const [method, args] of calls) answers.push(JSON.stringify(await host.call(method, args)));
  return answers.join('\n');
}

describe('personal workstation', () => {
  it('after sign-out no API call returns the critical, and no action works', async () => {
    const { host, critical } = await signedInWithCritical();
    const name = critical.patient?.name ?? '';
    expect(name.length).toBeGreaterThan(3);

    await host.call('signOut', {});
    const answers = await everyAnswer(host, critical);
    expect(answers).not.toContain(name);
    expect(answers).not.toContain('Potassium');
    // The value as a figure of its own, not the same digits inside another number of the answers.
    expect(answers).not.toMatch(/\b6\.8(?!\d)/);
    expect(answers).not.toContain(critical.patient?.reference ?? 'Patient/');
    expect((await host.call('listAlerts', { limit: 1000 })).body).toEqual({ result: [] });
    const refused = await host.call('acknowledge', { alertId: critical.id });
    expect(refused).toEqual({
      status: 403,
      body: { error: 'Sign in to act on alerts.', refused: 'sign-in-required' },
    });
    expect((await host.call('exportAudit', {})).status).toBe(403);
    // Signed out is not calm: health says so (the renderer shows it red).
    const health = (await host.call('getHealth', {})).body as { result: { degraded: string | null } };
    expect(health.result.degraded).toMatch(/Nobody is signed in/);
  }, 90_000);

  it("another user neither sees the first user's critical nor closes it; nothing changes", async () => {
    const { host, critical } = await signedInWithCritical();
    await host.call('signOut', {});

    // Jordan Lee may read both wards, Sam Okafor only ward B: neither may act on Alex's alert here.
    for (const other of ['nurse-b', 'pharmacist']) {
      await host.signInAs(other, other === 'pharmacist' ? 'pharmacist' : 'nurse');
      const listed = (await host.call('listAlerts', { limit: 1000 })).body as { result: AlertSummary[] };
      expect(listed.result.map((a) => a.id)).not.toContain(critical.id);
      for (const method of ['markSeen', 'acknowledge', 'resolveAlert', 'retryWriteback']) {
        const answer = await host.call(method, { alertId: critical.id });
        expect(answer.status, method).toBe(403);
        expect(answer.body).toMatchObject({
          refused: 'not-permitted',
          error: expect.stringMatching(/^Not permitted/),
        });
        // An id nobody received answers the same: the refusal tells nothing about which alerts exist.
        const unknown = critical.id.replace(/:(\d+)$/, (_whole, n: string) => `:${Number(n) + 100_000}`);
        expect(unknown).not.toBe(critical.id);
        expect(await host.call(method, { alertId: unknown }), `${method} of an unknown id`).toEqual(answer);
      }
      await host.call('signOut', {});
    }

    // Back as Alex: the alert is exactly as she left it.
    await host.signInAs('nurse-a');
    const mine = await host.waitForAlert((a) => a.id === critical.id);
    expect(mine.state).toBe('new');
    expect(mine.lifecycle).toMatchObject({
      pinned: true,
      seenBy: null,
      acknowledgedBy: null,
      escalationLevel: 0,
      writeback: { state: 'none' },
    });
    const audit = (await host.call('exportAudit', {})).body as { result: { csv: string } };
    expect(audit.result.csv).not.toMatch(/nurse-b|pharmacist/);
  }, 120_000);

  it('keeps the subscriptions active while signed out; the returning user catches up, summarised', async () => {
    const { server, host, critical: first } = await signedInWithCritical();
    await host.call('signOut', {});

    const remoteId = first.subscriptionKey.split('|')[1] ?? '';
    const token = server.auth.issueToken({
      userId: 'nurse-a',
      clientId: DEMO_CLIENT_ID,
      scopes: DEFAULT_SCOPES.nurse,
    });
    const subscription = await fetch(`${server.fhirBase}/Subscription/${remoteId}`, {
      headers: { Authorization: `Bearer ${token.accessToken}` },
    });
    expect(((await subscription.json()) as { status: string }).status).toBe('active');

    server.simulator?.emitCriticalPotassium('ward-a');
    server.simulator?.emitCriticalPotassium('ward-a');
    await host.signInAs('nurse-a');
    await host.waitFor('both criticals from the sign-out to arrive', async () => {
      const list = (await host.call('listAlerts', { limit: 1000 })).body as { result: AlertSummary[] };
      return list.result.filter((a) => a.tier === 'critical').length === 3 ? true : null;
    });
    const session = (await host.call('getSession', {})).body as { result: SessionInfo };
    expect(session.result.catchUp).toMatchObject({ alerts: 2, critical: 2 });
  }, 90_000);
});
