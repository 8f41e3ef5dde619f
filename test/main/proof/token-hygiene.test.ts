// Token hygiene against a hostile proxy: the monitor talks to the real embedded server through a
// loopback proxy that rewrites the stream URLs the server names (`Subscription.channel.endpoint` for
// SSE, the binding token's `websocket-url`) to a catcher on another port. The catcher must never
// receive a request, a websocket connection or a token; health must say why the stream is refused.
// With the catcher's origin on the configuration's allow-list the same setup does reach it: the
// threat is real and these tests can fail.
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../../src-main/core/auth/index.ts';
import { guardedFetch, streamUrlRefusal } from '../../../src-main/core/channels/origin-guard.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import { snapshot } from '../../../src-main/core/monitor/health.ts';
import { createMonitor, type Monitor } from '../../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../../src-main/core/monitor/topics.ts';
import { openClientStore } from '../../../src-main/core/store/client-store.ts';
import { DEMO_CLIENT_ID } from '../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../src-main/server/server.ts';
import {
  startCatcher,
  startRewritingProxy,
  type Catcher,
  type RewritingProxy,
} from '../../support/rewriting-proxy.ts';
import { freePort } from '../../support/free-port.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Rig {
  server: RunningServer;
  proxy: RewritingProxy;
  catcher: Catcher;
}

/** The server publishes the proxy as its origin; the proxy rewrites stream URLs to the catcher. */
async function rig(): Promise<Rig> {
  const catcher = await startCatcher();
  cleanups.push(() => catcher.close());
  const proxy = await startRewritingProxy(catcher.origin);
  cleanups.push(() => proxy.close());
  const port = await freePort();
  const server = await startServer({
    port,
    dbPath: join(mkdtempSync(join(tmpdir(), 'hygiene-')), 'server.sqlite'),
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
    publicOrigin: proxy.origin,
  });
  cleanups.push(() => server.close());
  proxy.setTarget(`http://127.0.0.1:${port}`);
  return { server, proxy, catcher };
}

async function watch(
  { server, proxy }: Rig,
  channel: 'sse' | 'websocket',
  allowedStreamOrigins: string[] = [],
): Promise<Monitor> {
  const store = openClientStore(join(mkdtempSync(join(tmpdir(), 'hygiene-client-')), 'client.sqlite'));
  const token = server.auth.issueToken({
    userId: 'nurse-a',
    clientId: DEMO_CLIENT_ID,
    scopes: DEFAULT_SCOPES.nurse,
  });
  const monitor = createMonitor({
    store,
    session: {
      fhirBase: proxy.fhirBase,
      fhirUser: 'Practitioner/nurse-a',
      accessToken: async () => token.accessToken,
      refreshNow: async () => undefined,
      tokenExpiresAt: () => Date.now() + token.expiresIn * 1000,
    },
    notifier: { notify: async () => undefined },
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5, channel }],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
    channelBackoff: { baseMs: 100, capMs: 500 },
    allowedStreamOrigins,
  });
  await monitor.start();
  cleanups.push(async () => {
    await monitor.stop();
    store.close();
  });
  return monitor;
}

async function until<T>(what: string, probe: () => T | null | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('token hygiene: stream URLs on another origin', () => {
  for (const channel of ['sse', 'websocket'] as const) {
    it(`${channel}: a rewritten stream URL is refused, shown in health, and never receives a token`, async () => {
      const setup = await rig();
      const monitor = await watch(setup, channel);
      const reached = () =>
        setup.catcher.requests.length +
        setup.catcher.websocketConnections +
        setup.catcher.websocketMessages.length;
      await until(
        'the channel to stop, or the catcher to be reached',
        () => reached() > 0 || monitor.health().some((h) => h.connection === 'stopped'),
      );
      setup.server.simulator?.emitCriticalPotassium('ward-a');
      // The catcher heard nothing at all: no request, no socket, no bind message.
      expect(setup.catcher.requests).toEqual([]);
      expect(setup.catcher.websocketConnections).toBe(0);
      expect(setup.catcher.websocketMessages).toEqual([]);
      const [entry] = monitor.health();
      expect(entry?.connection).toBe('stopped');
      expect(entry?.lastError).toMatch(/another origin than the FHIR server.*refused, no token sent/);
      expect(snapshot(monitor.health(), true).degraded).toMatch(/^Alerts stopped: .*another origin/);
    });

    it(`${channel}: an origin the configuration allows is used (the threat is real)`, async () => {
      const setup = await rig();
      await watch(setup, channel, [setup.catcher.origin]);
      if (channel === 'sse') {
        const caught = await until('the stream to reach the catcher', () => setup.catcher.requests[0]);
        expect(caught.authorization).toMatch(/^Bearer at_/);
      } else {
        const bind = await until('a bind message at the catcher', () => setup.catcher.websocketMessages[0]);
        // Whichever bind form the channel tries first (JSON, then text), it carries the binding token.
        expect(bind).toMatch(/bind-with-token/);
        expect(bind).toMatch(/bt_/);
      }
    });
  }
});

describe('the stream origin check', () => {
  const policy = { fhirBase: 'https://fhir.example.org/r4', allowedOrigins: ['wss://stream.example.org'] };
  it('allows the FHIR base origin in http and ws spellings, and listed origins', () => {
    expect(streamUrlRefusal('https://fhir.example.org/r4/Subscription/1/$sse', policy, 'x')).toBeNull();
    expect(streamUrlRefusal('wss://fhir.example.org/ws', policy, 'x')).toBeNull();
    expect(streamUrlRefusal('https://stream.example.org/sse', policy, 'x')).toBeNull();
  });
  it('refuses another port, host, scheme downgrade or a non-web scheme, in words', () => {
    expect(streamUrlRefusal('https://fhir.example.org:8443/sse', policy, 'stream endpoint')).toMatch(
      /stream endpoint is on https:\/\/fhir\.example\.org:8443, another origin/,
    );
    expect(streamUrlRefusal('http://fhir.example.org/r4/sse', policy, 'x')).toMatch(/another origin/);
    expect(streamUrlRefusal('ws://evil.example/ws', policy, 'x')).toMatch(/another origin/);
    expect(streamUrlRefusal('file:///etc/passwd', policy, 'x')).toMatch(/not an http\(s\) or ws\(s\) URL/);
  });
});

describe('the guarded fetch', () => {
  it('does not follow a redirect from an allowed endpoint to anywhere: refused, the target hears nothing', async () => {
    const catcher = await startCatcher();
    cleanups.push(() => catcher.close());
    const redirector = createHttpServer((_req, res) => {
      res.writeHead(307, { Location: `${catcher.origin}/stream` }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => redirector.close(() => r())));
    const address = redirector.address();
    const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const refusals: string[] = [];
    const guard = guardedFetch({ fhirBase: `${origin}/fhir`, allowedOrigins: [] }, (why) =>
      refusals.push(why),
    );
    const answer = await guard.fetch(`${origin}/fhir/Subscription/1/$sse`, {
      headers: { Authorization: 'Bearer at_secret' },
    });
    expect(answer.status).toBe(404);
    expect(refusals).toEqual([expect.stringMatching(/answered with a redirect \(HTTP 307\); refused/)]);
    expect(catcher.requests).toEqual([]);
  });
});
