// An independent peer of the SSE channel: Chromium's own EventSource (which cannot send headers) opens
// the stream with a single-use binding token, receives the events, and resumes after a disconnect
// with a fresh binding token and `last-event-id`, getting only what it missed (docs/sse-channel.md §2).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { buildSubscription } from '../src-main/core/monitor/subscription-setup.ts';
import { CRITICAL_LAB_TOPIC } from '../src-main/core/monitor/topics.ts';
import { DEMO_CLIENT_ID } from '../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../src-main/server/server.ts';

let server: RunningServer;
let bearer: string;
test.beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'native-es-'));
  server = await startServer({ port: 0, dbPath: join(dir, 'server.sqlite'), simulate: { autoStart: false } });
  bearer = server.auth.issueToken({
    userId: 'nurse-a',
    clientId: DEMO_CLIENT_ID,
    scopes: ['user/Observation.rs', 'user/Subscription.cruds'],
  }).accessToken;
});
test.afterAll(async () => {
  await server?.close();
});

async function fhir(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.fhirBase}/${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/fhir+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function bindingToken(subscriptionId: string): Promise<string> {
  const result = await fhir('POST', `Subscription/${subscriptionId}/$get-ws-binding-token`);
  const parameter = (result['parameter'] as Array<{ name: string; valueString?: string }>).find(
    (p) => p.name === 'token',
  );
  return parameter?.valueString ?? '';
}

test("Chromium's native EventSource: binding-token auth, events with ids, resume from last-event-id", async ({
  page,
}) => {
  const subscription = await fhir(
    'POST',
    'Subscription',
    buildSubscription(
      { topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 30 },
      'native EventSource test',
    ),
  );
  const endpoint = (subscription['channel'] as { endpoint: string }).endpoint;
  server.simulator?.emitCriticalPotassium('ward-a');
  server.simulator?.emitCriticalPotassium('ward-a');

  // Same origin as the server, so no CORS is involved; the page never sees the bearer token.
  await page.goto(`${server.origin}/fhir/.well-known/smart-configuration`);
  const read = (url: string, want: number) =>
    page.evaluate(
      ({ url, want }) =>
        new Promise<{ ids: string[]; handshake: boolean }>((resolve, reject) => {
          const source = new EventSource(url);
          const ids: string[] = [];
          let handshake = false;
          const timer = setTimeout(() => {
            source.close();
            reject(new Error(`only ${ids.length} of ${want} events`));
          }, 30_000);
          source.addEventListener('handshake', () => (handshake = true));
          source.addEventListener('event-notification', (event) => {
            ids.push((event as MessageEvent).lastEventId);
            if (ids.length === want) {
              clearTimeout(timer);
              source.close();
              resolve({ ids, handshake });
            }
          });
        }),
      { url, want },
    );

  const first = await read(
    `${endpoint}?binding-token=${await bindingToken(String(subscription['id']))}&last-event-id=0`,
    2,
  );
  expect(first).toEqual({ ids: ['1', '2'], handshake: true });

  // Missed while disconnected; a binding token is single-use, so the resume asks for a fresh one.
  server.simulator?.emitCriticalPotassium('ward-a');
  const resumed = await read(
    `${endpoint}?binding-token=${await bindingToken(String(subscription['id']))}&last-event-id=${first.ids.at(-1)}`,
    1,
  );
  expect(resumed.ids).toEqual(['3']);
});
