import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../../src-main/browser-host/host.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import type { HostEvent, MonitorHandlers } from '../../../src-main/shared/api.ts';
import { until } from '../../support/until.ts';

const calls: Array<{ method: string; args: unknown }> = [];
const session = {
  state: 'signed-out' as const,
  server: null,
  user: null,
  reason: null,
  tokenExpiresAt: null,
  needPatientBanner: false,
};
// The handlers record what reached them: the point of these tests is what the host lets through.
const handlers = new Proxy({} as MonitorHandlers, {
  get: (_t, method: string) => async (args: unknown) => {
    calls.push({ method, args });
    return method === 'listAlerts' ? [] : session;
  },
});

let host: BrowserHost | null = null;
const listeners = new Set<(e: HostEvent) => void>();
async function start(port = 0, stateDir = mkdtempSync(join(tmpdir(), 'host-state-')), now?: () => number) {
  return startWith({ port, stateDir, ...(now ? { now } : {}) });
}
async function startWith(options: {
  port?: number;
  stateDir?: string;
  now?: () => number;
  keepaliveMs?: number;
}) {
  const { port = 0, stateDir = mkdtempSync(join(tmpdir(), 'host-state-')), now, keepaliveMs } = options;
  const dir = mkdtempSync(join(tmpdir(), 'renderer-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  host = await startBrowserHost({
    handlers,
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    rendererDir: dir,
    port,
    logger: silentLogger(),
    stateDir,
    ...(now ? { now } : {}),
    ...(keepaliveMs ? { keepaliveMs } : {}),
  });
  return host;
}
afterEach(async () => {
  calls.length = 0;
  await host?.close();
  host = null;
});

async function cookieFor(h: BrowserHost, launchUrl = h.launchUrl): Promise<string> {
  const response = await fetch(launchUrl, { redirect: 'manual' });
  expect(response.status).toBe(303);
  const cookie = response.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(';')[0] ?? '';
}

function call(h: BrowserHost, method: string, body: unknown, headers: Record<string, string>) {
  return fetch(`${h.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: h.origin, ...headers },
    body: JSON.stringify(body),
  });
}

describe('browser host', () => {
  it('binds 127.0.0.1 and exchanges the launch secret for an HttpOnly cookie', async () => {
    const h = await start();
    expect(h.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${h.origin}/`)).status).toBe(401);
    expect((await fetch(`${h.origin}/?launch=wrong`)).status).toBe(401);
    const cookie = await cookieFor(h);
    const page = await fetch(`${h.origin}/`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('refuses API calls without the secret, from a foreign origin, or without an origin', async () => {
    const h = await start();
    const cookie = await cookieFor(h);
    expect((await call(h, 'getSession', {}, {})).status).toBe(401);
    expect((await call(h, 'getSession', {}, { Cookie: cookie, Origin: 'http://evil.example' })).status).toBe(
      403,
    );
    const noOrigin = await fetch(`${h.origin}/api/call/getSession`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: '{}',
    });
    expect(noOrigin.status).toBe(403);
    expect(calls).toEqual([]);
    const ok = await call(h, 'getSession', {}, { Cookie: cookie });
    expect(ok.status).toBe(200);
    expect(calls.map((c) => c.method)).toEqual(['getSession']);
  });

  it('holds the same checks on an API path spelt with percent-encoding (the router decodes it)', async () => {
    const h = await start();
    const cookie = await cookieFor(h);
    for (const path of ['/%61pi/call/listAlerts', '/ap%69/call/signOut', '/api/c%61ll/listAlerts']) {
      const post = (headers: Record<string, string>) =>
        fetch(`${h.origin}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body: '{}',
        });
      expect((await post({ Origin: h.origin })).status, path).toBe(401);
      expect((await post({ Cookie: cookie, Origin: 'http://evil.example' })).status, path).toBe(403);
      expect((await post({ Cookie: cookie })).status, path).toBe(403);
    }
    expect((await fetch(`${h.origin}/%61pi/events`)).status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('rejects a DNS-rebinding Host header', async () => {
    const h = await start();
    const port = Number(new URL(h.origin).port);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/', headers: { Host: `attacker.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('validates every argument against the shared schema before a handler runs', async () => {
    const h = await start();
    const cookie = await cookieFor(h);
    const bad = await call(h, 'getResource', { reference: '../../etc/passwd' }, { Cookie: cookie });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/getResource: invalid reference/);
    const extra = await call(h, 'listAlerts', { limit: 5, token: 'x' }, { Cookie: cookie });
    expect(extra.status).toBe(400);
    const unknown = await call(h, 'deleteEverything', {}, { Cookie: cookie });
    expect(unknown.status).toBe(404);
    expect(calls).toEqual([]);
    const good = await call(h, 'listAlerts', { limit: 5 }, { Cookie: cookie });
    expect(good.status).toBe(200);
    expect(calls).toEqual([{ method: 'listAlerts', args: { limit: 5 } }]);
  });

  it('refuses a sign-in fhirBase with a query before a handler runs (no host request to any path)', async () => {
    const h = await start();
    const cookie = await cookieFor(h);
    const answer = await call(
      h,
      'signIn',
      { fhirBase: `${h.origin}/api/call/signOut?x=` },
      { Cookie: cookie },
    );
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toMatch(/signIn: invalid fhirBase/);
    expect(calls).toEqual([]);
  });

  it('streams pushed events to an authorised page', async () => {
    const h = await start();
    const cookie = await cookieFor(h);
    const response = await fetch(`${h.origin}/api/events`, { headers: { Cookie: cookie } });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body?.getReader();
    for (const listener of listeners)
      listener({ type: 'notify', alertId: 'a1', title: 'Critical', body: 'K' });
    let text = '';
    while (!text.includes('host-event')) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain('"alertId":"a1"');
    await reader?.cancel();
  });

  it('holds at most 8 event streams per session; a closed one frees its place', async () => {
    const h = await start();
    const cookie = await cookieFor(h);
    const open = () => fetch(`${h.origin}/api/events`, { headers: { Cookie: cookie } });
    const streams = await Promise.all(Array.from({ length: 8 }, open));
    expect(streams.map((r) => r.status)).toEqual(Array(8).fill(200));
    const ninth = await open();
    expect(ninth.status).toBe(429);
    expect(await ninth.text()).toMatch(/Too many open pages/);
    // Another browser's session has its own places.
    const other = await cookieFor(h);
    const theirs = await fetch(`${h.origin}/api/events`, { headers: { Cookie: other } });
    expect(theirs.status).toBe(200);
    await theirs.body?.cancel();
    await streams[0]?.body?.cancel();
    await until(async () => {
      const again = await open();
      if (again.status !== 200) return false;
      await again.body?.cancel();
      return true;
    }, 'a place freed by the closed stream');
    for (const stream of streams.slice(1)) await stream.body?.cancel();
  });

  it('ends the event stream of a page that stopped reading, instead of buffering pushes for it', async () => {
    const h = await start();
    const cookie = await cookieFor(h);
    const response = await fetch(`${h.origin}/api/events`, { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    // Nobody reads: 200 pushes of 64 KiB (12.5 MiB) against a 4 MiB allowance of unsent bytes.
    const body = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 200; i += 1)
      for (const listener of listeners)
        listener({ type: 'notify', alertId: `a${i}`, title: 'Critical', body });
    await until(() => listeners.size === 0, 'the host letting go of the stream');
    let received = 0;
    const reader = response.body?.getReader();
    // What was already on its way arrives; then the connection ends (cut, not finished).
    for (;;) {
      const chunk = await reader?.read().catch(() => null);
      if (!chunk || chunk.done) break;
      received += chunk.value.byteLength;
    }
    expect(received).toBeLessThan(200 * body.length);
  });

  it('moves to the next port when the preferred one is taken', async () => {
    const first = await start();
    const taken = Number(new URL(first.origin).port);
    const dir = mkdtempSync(join(tmpdir(), 'renderer-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    const second = await startBrowserHost({
      handlers,
      onEvent: () => () => undefined,
      rendererDir: dir,
      port: taken,
      logger: silentLogger(),
      stateDir: mkdtempSync(join(tmpdir(), 'host-state-')),
    });
    try {
      expect(Number(new URL(second.origin).port)).toBeGreaterThan(taken);
    } finally {
      await second.close();
    }
  });

  it('says the renderer is not built instead of serving nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'empty-'));
    await expect(
      startBrowserHost({
        handlers,
        onEvent: () => () => undefined,
        rendererDir: empty,
        port: 0,
        logger: silentLogger(),
        stateDir: empty,
      }),
    ).rejects.toThrow(/renderer is not built/);
  });
});

/** One request on its own connection (no keep-alive pool): the status code. */
function status(url: string, method: 'GET' | 'POST', cookie: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: {
          Cookie: cookie,
          ...(origin ? { Origin: origin, 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('browser host launch links and sessions', () => {
  const secretOf = (url: string) => new URL(url).searchParams.get('launch') ?? '';

  it('a launch link works once, and the session cookie is not the link', async () => {
    const h = await start();
    const link = h.launchUrl;
    const cookie = await cookieFor(h, link);
    expect(cookie).not.toContain(secretOf(link));
    expect((await fetch(`${h.origin}/`, { headers: { Cookie: cookie } })).status).toBe(200);
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    // The secret itself is no credential.
    const asCookie = await call(h, 'getSession', {}, { Cookie: `alert_monitor_session=${secretOf(link)}` });
    expect(asCookie.status).toBe(401);
  });

  it('a launch link expires after a minute, unused', async () => {
    const clock = { now: Date.now() };
    const h = await start(0, undefined, () => clock.now);
    const link = h.launchUrl;
    clock.now += 61_000;
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
    await cookieFor(h); // a fresh one works
  });

  it('a session unused for 12 hours is refused, also after a restart; one in use stays', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'host-state-'));
    const clock = { now: Date.now() };
    const first = await start(0, stateDir, () => clock.now);
    const port = Number(new URL(first.origin).port);
    const inUse = await cookieFor(first);
    const idle = await cookieFor(first);
    const hour = 60 * 60_000;
    // The page that stays open asks something every so often; the other browser was closed.
    for (let hours = 0; hours < 13; hours += 1) {
      clock.now += hour;
      expect(await status(`${first.origin}/api/call/getSession`, 'POST', inUse, first.origin)).toBe(200);
    }
    expect(await status(`${first.origin}/api/call/getSession`, 'POST', idle, first.origin)).toBe(401);
    expect(await status(`${first.origin}/`, 'GET', idle)).toBe(401);
    // A restart on the same data directory remembers when each was last used.
    await first.close();
    host = null;
    const second = await start(port, stateDir, () => clock.now);
    expect(await status(`${second.origin}/api/call/getSession`, 'POST', inUse, second.origin)).toBe(200);
    expect(await status(`${second.origin}/api/call/getSession`, 'POST', idle, second.origin)).toBe(401);
    clock.now += 13 * hour;
    expect(await status(`${second.origin}/api/events`, 'GET', inUse)).toBe(401);
  });

  it('an open event stream keeps its session in use through a quiet night', async () => {
    const clock = { now: Date.now() };
    const h = await startWith({ now: () => clock.now, keepaliveMs: 50 });
    const cookie = await cookieFor(h);
    const response = await fetch(`${h.origin}/api/events`, { headers: { Cookie: cookie } });
    const reader = response.body?.getReader();
    const keepalives = async (count: number) => {
      let text = '';
      while ((text.match(/: keepalive/g) ?? []).length < count) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return false;
        text += new TextDecoder().decode(chunk.value);
      }
      return true;
    };
    // Thirteen quiet hours, an hour between keepalives: no call, only the open stream.
    for (let hours = 0; hours < 13; hours += 1) {
      clock.now += 60 * 60_000;
      expect(await keepalives(1)).toBe(true);
    }
    expect(await status(`${h.origin}/api/call/getSession`, 'POST', cookie, h.origin)).toBe(200);
    // Once its page is gone, the session idles out like any other.
    await reader?.cancel();
    clock.now += 13 * 60 * 60_000;
    expect(await status(`${h.origin}/api/call/getSession`, 'POST', cookie, h.origin)).toBe(401);
  });

  it('keeps a fresh one-time link in a 0600 launch file in the data directory', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'host-state-'));
    const h = await start(0, stateDir);
    expect(h.launchFile).toBe(join(stateDir, 'launch.html'));
    expect((statSync(h.launchFile).mode & 0o777).toString(8)).toBe('600');
    const inFile = () => /url=(\S+?)">/.exec(readFileSync(h.launchFile, 'utf8'))?.[1] ?? '';
    const first = inFile();
    expect(first).toMatch(new RegExp(`^${h.origin}/\\?launch=[A-Za-z0-9_-]{43}$`));
    await cookieFor(h, first);
    const second = inFile();
    expect(second).not.toBe(first);
    await cookieFor(h, second);
  });

  it('a page that holds a session keeps working after the host restarts on the same data directory', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'host-state-'));
    const first = await start(0, stateDir);
    const port = Number(new URL(first.origin).port);
    const cookie = await cookieFor(first);
    await first.close();
    host = null;
    const second = await start(port, stateDir);
    expect(second.origin).toBe(first.origin);
    // A fresh connection each, as a browser makes after its old one was closed by the restart.
    expect(await status(`${second.origin}/`, 'GET', cookie)).toBe(200);
    expect(await status(`${second.origin}/api/call/getSession`, 'POST', cookie, second.origin)).toBe(200);
    expect(await status(`${second.origin}/api/events`, 'GET', cookie)).toBe(200);
    // Only what the cookie is verified against is on disk, 0600: no cookie, no link secret.
    const stored = readFileSync(join(stateDir, 'browser-sessions.json'), 'utf8');
    expect(stored).not.toContain(cookie.split('=')[1]);
    expect((statSync(join(stateDir, 'browser-sessions.json')).mode & 0o777).toString(8)).toBe('600');
    // Another data directory knows nothing of it.
    await second.close();
    host = null;
    const other = await start(port);
    expect(await status(`${other.origin}/api/call/getSession`, 'POST', cookie, other.origin)).toBe(401);
  });
});
