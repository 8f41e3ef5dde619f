// kill -9 the standalone server mid-stream and restart it on the same database: event numbers continue
// with no number reused or skipped, and the client's Last-Event-ID replay closes the gap exactly.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/lib/sqlite.ts';
import { createAuthServer } from '../../../src-main/server/auth/index.ts';
import { DEMO_CLIENT_ID } from '../../../src-main/server/demo-users.ts';
import { TOPIC_BASE } from '../../../src-main/server/topics/definitions.ts';
import { events, fhir, openSse, sseSubscription } from './helpers.ts';
import { startServerCli, type ServerCli } from '../../support/server-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alert-cli-'));
const dbPath = join(dir, 'server.sqlite');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startCli(): Promise<ServerCli> {
  const cli = await startServerCli([
    ...['--port', '0', '--db', dbPath, '--simulate', '--rate', '3600', '--seed', '5'],
    ...['--log-level', 'warn'],
  ]);
  children.push(cli.child);
  return cli;
}

describe('cli', () => {
  it('survives kill -9 mid-stream without reusing or skipping an event number', async () => {
    const first = await startCli();
    const origin = first.fhirBase.replace(/\/fhir$/, '');
    // Mint a token in the shared database with the auth server's own API (verification is a DB lookup).
    const db = openDatabase(dbPath);
    const auth = createAuthServer({ db, origin, fhirBase: first.fhirBase, accessTokenTtlSeconds: 3600 });
    const token = auth.issueToken({
      userId: 'pharmacist',
      clientId: DEMO_CLIENT_ID,
      scopes: ['user/*.cruds'],
    }).accessToken;
    auth.close();
    const created = await fhir(
      'POST',
      `${first.fhirBase}/Subscription`,
      token,
      sseSubscription({ topic: `${TOPIC_BASE}/diagnostic-report-final` }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const conn = await openSse(`${first.fhirBase}/Subscription/${id}/$sse`, {
      authorization: `Bearer ${token}`,
    });
    await conn.waitFor((f) => events(f).length >= 5, 60_000);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    await conn.waitFor(() => conn.closed, 20_000).catch(() => undefined);
    const before = events(conn.frames).map((f) => Number(f.id));
    const cursor = before[before.length - 1] ?? 0;

    const second = await startCli();
    const resumed = await openSse(`${second.fhirBase}/Subscription/${id}/$sse`, {
      authorization: `Bearer ${token}`,
      'last-event-id': String(cursor),
    });
    expect(resumed.status).toBe(200);
    await resumed.waitFor((f) => events(f).length >= 5, 60_000);
    resumed.close();
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));

    const after = events(resumed.frames).map((f) => Number(f.id));
    const all = [...before, ...after];
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    const logged = db
      .prepare<[string], { n: number }>(
        'SELECT event_number AS n FROM subscription_event WHERE subscription_id = ? ORDER BY n',
      )
      .all(id)
      .map((row) => row.n);
    expect(logged).toEqual(Array.from({ length: logged.length }, (_, i) => i + 1));
    const count = db
      .prepare<[string], { c: number }>(
        'SELECT event_count AS c FROM subscription_log WHERE subscription_id = ?',
      )
      .get(id);
    expect(count?.c).toBe(logged.length);
    db.close();
  }, 240_000);
});
