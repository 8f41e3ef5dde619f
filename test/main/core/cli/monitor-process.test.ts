// The real headless monitor process (`src-main/core/cli/monitor.ts`) against the embedded server: when
// its streams are revoked it exits non-zero with the reason (it once drained its event loop and exited
// 0 while alerts had stopped, so a supervisor never restarted it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../../src-main/core/cli/headless.ts';
import { openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { startServer } from '../../../../src-main/server/server.ts';

const ROOT = join(import.meta.dirname, '../../../..');
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function jsonl(path: string): Array<Record<string, unknown>> {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** A key pair and registration file made by the CLI itself (`--generate-key`); the files' prefix. */
async function generateKey(dir: string, clientId: string): Promise<string> {
  const prefix = join(dir, 'key');
  const gen = spawn(
    process.execPath,
    ['src-main/core/cli/monitor.ts', '--generate-key', prefix, '--client-id', clientId, '--wards', 'ward-a'],
    { cwd: ROOT, stdio: 'ignore' },
  );
  expect(await new Promise((resolve) => gen.once('exit', resolve))).toBe(0);
  return prefix;
}

describe('headless monitor process', () => {
  it('exits 3 with the reason when the server revokes its streams', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-process-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const prefix = await generateKey(dir, 'proc-test');
    const registration = JSON.parse(readFileSync(`${prefix}.registration.json`, 'utf8')) as {
      clientId: string;
      jwks: { keys: Array<Record<string, unknown>> };
      securityLabels: string[];
    };
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      heartbeatSeconds: 2,
      backendClients: [{ kind: 'backend', ...registration }],
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close().catch(() => undefined));
    const out = join(dir, 'monitor.jsonl');
    const child = spawn(
      process.execPath,
      [
        'src-main/core/cli/monitor.ts',
        ...['--fhir', server.fhirBase, '--client-id', 'proc-test', '--key', `${prefix}.private.jwk.json`],
        ...['--db', join(dir, 'monitor', 'monitor.sqlite'), '--jsonl', out, '--heartbeat', '2'],
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    cleanups.push(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // Signed in and subscribed (the line follows the start), then a critical arrives and is notified.
    const deadline = Date.now() + 60_000;
    while (!jsonl(out).some((l) => l['kind'] === 'session') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    server.simulator?.emitCriticalPotassium('ward-a');
    while (!jsonl(out).some((l) => l['kind'] === 'notification') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(jsonl(out).some((l) => l['kind'] === 'notification' && l['notificationKind'] === 'alert')).toBe(
      true,
    );

    // Revoke every grant of the client (read from the server's own database): the server sends
    // `revoked` on the stream.
    const db = openDatabase(join(dir, 'server.sqlite'));
    const grantIds = db
      .prepare<[string], { id: string }>('SELECT id FROM auth_grants WHERE client_id = ?')
      .all('proc-test')
      .map((r) => r.id);
    db.close();
    expect(grantIds.length).toBeGreaterThan(0);
    for (const id of grantIds) server.auth.revokeGrant(id);
    expect(await exited).toBe(EXIT.alertsStopped);
    expect(stderr).toMatch(/every alert stream stopped: .*revoked/);
    expect(jsonl(out).at(-1)).toMatchObject({ kind: 'exit', code: EXIT.alertsStopped });
  }, 120_000);
});

describe('headless monitor process with a database it cannot use', () => {
  it('exits 4 naming the file, before signing in, and leaves the file as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-process-db-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const prefix = await generateKey(dir, 'db-test');
    const database = join(dir, 'monitor.sqlite');
    const bytes = Buffer.from('saved over the database\n'.repeat(300));
    writeFileSync(database, bytes);
    // Nothing listens at this address: the monitor must stop at its database, before any sign-in.
    const child = spawn(
      process.execPath,
      [
        'src-main/core/cli/monitor.ts',
        '--fhir',
        'http://127.0.0.1:9/fhir',
        '--client-id',
        'db-test',
        '--key',
        `${prefix}.private.jwk.json`,
        '--db',
        database,
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(EXIT.database);
    expect(stderr).toContain(
      `headless monitor: The database ${database} cannot be used: it is not an SQLite database`,
    );
    expect(stderr).not.toMatch(/sign-in|token/i);
    expect(readFileSync(database).equals(bytes)).toBe(true);
  });
});
