// A start during which the server cannot say what it offers (its CapabilityStatement answers 503, or
// the network fails) must not read that as "the server offers no topics": the monitor used to re-plan
// its subscription as a plain search, delete the working topic subscription it had, and lose the events
// logged for it (the soak saw lost and duplicated events). Now such a start fails and is retried, and
// the next start reuses the same subscription. Against the real embedded server, through a loopback
// proxy that can refuse `metadata`.
import { mkdtempSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../../../src-main/core/auth/index.ts';
import { accessFor, fhirFetch } from '../../../../src-main/core/fhir/fhir-client.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor } from '../../../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { bundleResources } from '../../../../src-main/shared/fhir-json.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A pass-through proxy (streams included) that answers 503 to `GET …/metadata` while `failing`. */
async function metadataProxy(): Promise<{
  origin: string;
  target: { port: number };
  failing: { on: boolean };
}> {
  const target = { port: 0 };
  const failing = { on: false };
  const server: Server = createServer((req, res) => {
    if (failing.on && req.url?.split('?')[0]?.endsWith('/metadata')) {
      res
        .writeHead(503, { 'Content-Type': 'application/fhir+json' })
        .end('{"resourceType":"OperationOutcome"}');
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, target, failing };
}

function monitorFor(server: RunningServer, fhirBase: string, store: ClientStore) {
  const token = server.auth.issueToken({
    userId: 'nurse-a',
    clientId: DEMO_CLIENT_ID,
    scopes: DEFAULT_SCOPES.nurse,
  });
  const session = {
    fhirBase,
    fhirUser: 'Practitioner/nurse-a',
    accessToken: async () => token.accessToken,
    refreshNow: async () => undefined,
    tokenExpiresAt: () => null,
  };
  const monitor = createMonitor({
    store,
    session,
    notifier: { notify: async () => undefined },
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5, channel: 'sse' }],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
  });
  return { monitor, access: accessFor(session) };
}

async function subscriptionIds(access: ReturnType<typeof accessFor>): Promise<string[]> {
  const listed = await fhirFetch(access, 'Subscription?_count=100');
  return bundleResources(listed.body, 'Subscription')
    .filter((s) => s['status'] !== 'off')
    .map((s) => String(s.id));
}

describe('a start that cannot discover what the server offers', () => {
  it('fails and is retried; it never abandons the subscription that works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'discovery-'));
    const proxy = await metadataProxy();
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      publicOrigin: proxy.origin,
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    proxy.target.port = Number(new URL(server.boundOrigin).port);
    const fhirBase = `${proxy.origin}/fhir`;
    const store = openClientStore(join(dir, 'monitor.sqlite'));
    cleanups.push(() => void store.close());

    const first = monitorFor(server, fhirBase, store);
    await first.monitor.start();
    await first.monitor.stop();
    const before = await subscriptionIds(first.access);
    expect(before).toHaveLength(1);

    proxy.failing.on = true;
    const second = monitorFor(server, fhirBase, store);
    await expect(second.monitor.start()).rejects.toThrow(/metadata answered 503/);
    await second.monitor.stop();
    expect(await subscriptionIds(second.access)).toEqual(before);

    proxy.failing.on = false;
    const third = monitorFor(server, fhirBase, store);
    cleanups.push(() => third.monitor.stop());
    await third.monitor.start();
    expect(third.monitor.health().map((h) => h.subscriptionKey)).toEqual([`${fhirBase}|${before[0]}`]);
    expect(await subscriptionIds(third.access)).toEqual(before);
  });
});
