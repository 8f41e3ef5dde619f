// Graceful shutdown loses nothing: SIGTERM the standalone server while clients are writing, restart it on
// the same database, and every write that was acknowledged (201) is there, with its subscription events
// numbered without gap; open SSE streams end cleanly (EOF, not a reset) so clients reconnect with a cursor.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/lib/sqlite.ts';
import { createAuthServer } from '../../../src-main/server/auth/index.ts';
import { WARD_LABEL_SYSTEM } from '../../../src-main/server/base/authz.ts';
import { events, fhir, openSse, sseSubscription } from './helpers.ts';
import { startServerCli, type ServerCli } from '../../support/server-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alert-cli-term-'));
const dbPath = join(dir, 'server.sqlite');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startCli(): Promise<ServerCli> {
  const cli = await startServerCli([
    ...['--port', '0', '--db', dbPath, '--simulate', '--seed', '9'],
    ...['--log-level', 'warn'],
  ]);
  children.push(cli.child);
  return cli;
}

function criticalPotassium(i: number, patient: string): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    meta: { security: [{ system: WARD_LABEL_SYSTEM, code: 'ward-a' }] },
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }] },
    subject: { reference: `Patient/${patient}` },
    valueQuantity: { value: 6 + (i % 10) / 10, unit: 'mmol/L' },
    interpretation: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'HH' },
        ],
      },
    ],
  };
}

describe('cli graceful shutdown', () => {
  it('SIGTERM during concurrent writes: exit 0, and after restart every acknowledged write is there', async () => {
    const first = await startCli();
    const origin = first.fhirBase.replace(/\/fhir$/, '');
    const db = openDatabase(dbPath);
    const auth = createAuthServer({ db, origin, fhirBase: first.fhirBase, accessTokenTtlSeconds: 3600 });
    // The writer is a laboratory feed: nurses do not write Observations (docs/auth.md, "Roles").
    const token = auth.issueServiceToken({
      clientId: 'lab-feed',
      role: 'clinical-feed',
      securityLabels: ['ward-a'],
      scopes: ['system/*.cruds'],
    }).accessToken;
    auth.close();
    db.close();
    const census = await fhir('GET', `${first.fhirBase}/Patient?location=Location/ward-a&_count=1`, token);
    const patient = (census.body.entry as { resource: { id: string } }[])[0]?.resource.id ?? '';
    const created = await fhir(
      'POST',
      `${first.fhirBase}/Subscription`,
      token,
      sseSubscription({ filter: 'Observation?code=http://loinc.org|2823-3' }),
    );
    expect(created.status).toBe(201);
    const subId = created.body.id as string;
    const stream = await openSse(`${first.fhirBase}/Subscription/${subId}/$sse`, {
      authorization: `Bearer ${token}`,
    });
    await stream.waitFor((f) => f.some((x) => x.event === 'handshake'));

    // Four concurrent writers, bounded in count; SIGTERM lands while they are busy.
    const acknowledged: string[] = [];
    let failures = 0;
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < 500 && !stop; i += 1) {
        try {
          const res = await fhir(
            'POST',
            `${first.fhirBase}/Observation`,
            token,
            criticalPotassium(w * 1000 + i, patient),
          );
          if (res.status === 201) acknowledged.push(res.body.id as string);
          else failures += 1;
        } catch {
          failures += 1; // connection closed by the shutdown: not acknowledged, nothing promised
          stop = true;
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 100) await new Promise((resolve) => setTimeout(resolve, 5));
    first.child.kill('SIGTERM');
    const code = await first.exited;
    stop = true;
    await Promise.all(writers);
    expect(code).toBe(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    // The open stream ended with EOF (clean close), after delivering events in order from 1.
    await stream.waitFor(() => stream.closed, 20_000).catch(() => undefined);
    expect(stream.closed).toBe(true);
    const delivered = events(stream.frames).map((f) => Number(f.id));
    expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => i + 1));

    // The database is consistent after the shutdown.
    const check = openDatabase(dbPath, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();

    const second = await startCli();
    for (const id of acknowledged) {
      const res = await fhir('GET', `${second.fhirBase}/Observation/${id}`, token);
      expect(res.status, id).toBe(200);
    }
    // Every acknowledged write produced exactly one event; numbering is gap-free and resumes after restart.
    const after = await openSse(`${second.fhirBase}/Subscription/${subId}/$sse`, {
      authorization: `Bearer ${token}`,
      'last-event-id': String(delivered[delivered.length - 1] ?? 0),
    });
    expect(after.status).toBe(200);
    const handshake = await (async () => {
      await after.waitFor((f) => f.some((x) => x.event === 'handshake'));
      return after.frames.find((f) => f.event === 'handshake');
    })();
    const total = Number(
      /"events-since-subscription-start","valueString":"(\d+)"/.exec(handshake?.data ?? '')?.[1],
    );
    expect(total).toBeGreaterThanOrEqual(acknowledged.length);
    expect(total).toBeLessThanOrEqual(acknowledged.length + 4); // at most one unacknowledged commit per writer
    await after.waitFor((f) => events(f).length === total - delivered.length, 10_000);
    const replayed = events(after.frames).map((f) => Number(f.id));
    expect([...delivered, ...replayed]).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    after.close();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(failures).toBeLessThanOrEqual(4);
  }, 60_000);
});
