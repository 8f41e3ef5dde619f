import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../../src-main/browser-host/host.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import type { HostEvent, MonitorHandlers } from '../../../src-main/shared/api.ts';

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
async function start(port = 0) {
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
    secret: 'launch-secret-123',
  });
  return host;
}
afterEach(async () => {
  calls.length = 0;
  await host?.close();
  host = null;
});

async function cookieFor(h: BrowserHost): Promise<string> {
  const response = await fetch(h.launchUrl, { redirect: 'manual' });
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
      }),
    ).rejects.toThrow(/renderer is not built/);
  });
});
