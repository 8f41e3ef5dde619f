// A page's view of the browser host, for black-box tests: the real app (composition root, monitor,
// SQLite) behind the real loopback host, reached over HTTP with the session cookie the launch link
// gives. Signing in drives the embedded server's real sign-in page the way a person does.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppMode } from '../../../src-main/app/mode.ts';
import { runBrowserHost, type RunningBrowserHost } from '../../../src-main/browser-host/run.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import type { AlertSummary, HealthSnapshot, SessionInfo } from '../../../src-main/shared/api.ts';
import { driveSignIn } from '../server/auth/helpers.ts';

export interface HostClient {
  host: RunningBrowserHost;
  origin: string;
  dataDir: string;
  call(method: string, args: unknown): Promise<{ status: number; body: unknown }>;
  signInAs(user: string, role?: 'nurse' | 'pharmacist'): Promise<SessionInfo>;
  waitFor<T>(what: string, probe: () => Promise<T | null>): Promise<T>;
  waitForAlert(match: (alert: AlertSummary) => boolean): Promise<AlertSummary>;
  /** Until every subscription the host reports is live (events emitted from now on are delivered). */
  waitLive(): Promise<void>;
  close(): Promise<void>;
}

const DEADLINE_MS = 30_000;

/** A built renderer stand-in: the host refuses to start without index.html. */
function rendererDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'renderer-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  return dir;
}

export async function startHostClient(
  mode: AppMode,
  options: { dataDir?: string; port?: number } = {},
): Promise<HostClient> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'host-client-'));
  const host = await runBrowserHost({
    dataDir,
    port: options.port ?? 0,
    logger: silentLogger(),
    mode,
    rendererDir: rendererDir(),
    osNotifications: false,
  });
  const origin = new URL(host.launchUrl).origin;
  const launch = await fetch(host.launchUrl, { redirect: 'manual' });
  const cookie = (launch.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (!cookie) throw new Error(`the launch link gave no session cookie (${launch.status})`);

  const call = async (method: string, args: unknown) => {
    const response = await fetch(`${origin}/api/call/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: cookie },
      body: JSON.stringify(args),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  async function waitFor<T>(what: string, probe: () => Promise<T | null>): Promise<T> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const session = async () => ((await call('getSession', {})).body as { result: SessionInfo }).result;

  return {
    host,
    origin,
    dataDir,
    call,
    waitFor,
    async signInAs(user, role = 'nurse') {
      const started = (await call('signIn', { role })).body as { result: SessionInfo };
      const url = started.result.authorizationUrl;
      if (!url) throw new Error(`no authorization URL: ${JSON.stringify(started.result)}`);
      await fetch(await driveSignIn(url, { user }));
      return waitFor(`${user} to be signed in`, async () => {
        const info = await session();
        if (info.state === 'signed-out') throw new Error(`sign-in failed: ${info.reason ?? ''}`);
        return info.state === 'signed-in' ? info : null;
      });
    },
    waitLive: () =>
      waitFor('live subscriptions', async () => {
        const health = ((await call('getHealth', {})).body as { result: HealthSnapshot }).result;
        const subs = health.subscriptions;
        return subs.length > 0 && subs.every((s) => s.connection === 'live') ? undefined : null;
      }),
    waitForAlert: (match) =>
      waitFor('the alert', async () => {
        const list = (await call('listAlerts', { limit: 1000 })).body as { result?: AlertSummary[] };
        return list.result?.find(match) ?? null;
      }),
    close: () => host.close(),
  };
}
