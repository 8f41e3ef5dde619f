// A first start killed after the server created its Subscription but before the answer was read left
// a Subscription nobody recorded. The next start finds its own (by tag, criteria and channel) instead of
// creating another, and removes duplicates. Against the real embedded server over loopback.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accessFor, fhirFetch } from '../../../../src-main/core/fhir/fhir-client.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor } from '../../../../src-main/core/monitor/monitor.ts';
import { backportSubscription, ownerTag } from '../../../../src-main/core/monitor/subscription-body.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';
import { bundleResources } from '../../../../src-main/shared/fhir-json.ts';
import { startServer } from '../../../../src-main/server/server.ts';
import { issuedSession } from '../../../support/issued-session.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('finding its own subscription before creating one', () => {
  it('adopts the one an interrupted start created and deletes the duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'own-sub-'));
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    const session = issuedSession(server);
    const access = accessFor(session);
    const store = openClientStore(join(dir, 'monitor.sqlite'));
    cleanups.push(() => void store.close());
    const request = { topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5, channel: 'sse' as const };
    // Two interrupted starts: each got as far as the server creating the Subscription.
    const tag = ownerTag(store.facts.installationId(), session.fhirUser);
    for (let i = 0; i < 2; i += 1) {
      const created = await fhirFetch(access, 'Subscription', {
        method: 'POST',
        body: backportSubscription(request, 'sse', 'Alert monitor workstation', tag),
      });
      expect(created.status).toBe(201);
    }
    // Someone else's subscription on the same topic (no tag of ours) is left alone.
    await fhirFetch(access, 'Subscription', {
      method: 'POST',
      body: backportSubscription(request, 'sse', 'another app', null),
    });

    const monitor = createMonitor({
      store,
      session,
      notifier: { notify: async () => undefined },
      topics: [request],
      emit: () => undefined,
      onHealthChange: () => undefined,
      logger: silentLogger(),
    });
    cleanups.push(() => monitor.stop());
    await monitor.start();

    const listed = await fhirFetch(access, 'Subscription?_count=100');
    const remaining = bundleResources(listed.body, 'Subscription');
    expect(remaining).toHaveLength(2);
    const ours = remaining.filter((s) => JSON.stringify(s['meta']).includes(tag.code));
    expect(ours).toHaveLength(1);
    const record = store.findSubscription(server.fhirBase, CRITICAL_LAB_TOPIC, session.fhirUser);
    expect(record?.remoteId).toBe(ours[0]?.id);
  });

  it('does not adopt its own subscription whose stream endpoint is on another origin: deletes it and creates one', async () => {
    // The embedded demo server keeps its database but moves to another port at each start: the stored
    // Subscription still names the old port as its stream endpoint.
    const dir = mkdtempSync(join(tmpdir(), 'own-sub-moved-'));
    const first = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    const store = openClientStore(join(dir, 'monitor.sqlite'));
    cleanups.push(() => void store.close());
    const run = async (server: typeof first) => {
      const session = issuedSession(server);
      const monitor = createMonitor({
        store,
        session,
        notifier: { notify: async () => undefined },
        topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5 }],
        emit: () => undefined,
        onHealthChange: () => undefined,
        logger: silentLogger(),
      });
      await monitor.start();
      const deadline = Date.now() + 10_000;
      while (monitor.health()[0]?.connection !== 'live' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      return { monitor, access: accessFor(session) };
    };
    const one = await run(first);
    const firstId = store.findSubscription(
      first.fhirBase,
      CRITICAL_LAB_TOPIC,
      'Practitioner/nurse-a',
    )?.remoteId;
    await one.monitor.stop();
    await first.close();

    const second = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => second.close());
    const two = await run(second);
    cleanups.push(() => two.monitor.stop());
    expect(two.monitor.health()[0]?.connection).toBe('live');
    const record = store.findSubscription(second.fhirBase, CRITICAL_LAB_TOPIC, 'Practitioner/nurse-a');
    expect(new URL(record?.endpoint ?? '').origin).toBe(new URL(second.fhirBase).origin);
    expect(record?.remoteId).not.toBe(firstId);
    const remaining = bundleResources(
      (await fhirFetch(two.access, 'Subscription?_count=100')).body,
      'Subscription',
    );
    expect(remaining.map((s) => s.id)).toEqual([record?.remoteId]);
  });
});
