// Shared test scaffolding for channel tests: a real loopback HTTP server and a recording callback set.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ChannelCallbacks,
  ChannelFrame,
  ChannelState,
} from '../../../../src-main/core/channels/types.ts';

export interface TestServer {
  url: string;
  base: string;
  requests: { headers: IncomingHttpHeaders; url: string; method: string; at: number }[];
  close(): Promise<void>;
}

/** `handler` gets the 0-based connection number so each test scripts its connections in order. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void | Promise<void>,
  path = '/fhir/Subscription/sub-1/$sse',
): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    const n = requests.length;
    requests.push({ headers: req.headers, url: req.url ?? '', method: req.method ?? '', at: Date.now() });
    void Promise.resolve(handler(req, res, n)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}/fhir`;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
}

export function sseFrame(event: string, data: unknown, id?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${payload}\n\n`;
}

const SUB = 'http://127.0.0.1:8080/fhir/Subscription/sub-1';

function statusBundle(type: string, count: number, events: number[]): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: '2026-11-22T13:30:00.000Z',
    entry: [
      {
        fullUrl: 'urn:uuid:6b1c0d1e-0000-4000-8000-000000000000',
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'subscription', valueReference: { reference: SUB } },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: type },
            { name: 'events-since-subscription-start', valueString: String(count) },
            ...events.map((n) => ({
              name: 'notification-event',
              part: [
                { name: 'event-number', valueString: String(n) },
                { name: 'timestamp', valueInstant: '2026-11-22T13:30:00.000Z' },
                { name: 'focus', valueReference: { reference: `Observation/obs-${n}` } },
              ],
            })),
          ],
        },
      },
    ],
  };
}

export const eventBundle = (n: number): Record<string, unknown> => statusBundle('event-notification', n, [n]);
export const heartbeatBundle = (count: number): Record<string, unknown> =>
  statusBundle('heartbeat', count, []);
export const handshakeBundle = (count: number): Record<string, unknown> =>
  statusBundle('handshake', count, []);

export const eventFrame = (n: number): string => sseFrame('event-notification', eventBundle(n), String(n));

export interface Recorder {
  callbacks: ChannelCallbacks;
  frames: ChannelFrame[];
  states: [ChannelState, string | null][];
  errors: string[];
  unauthorized: number[];
  /** Details the channel gave when it found the subscription gone on the server. */
  gone: string[];
  /** Event numbers of delivered event-notification frames, in delivery order. */
  eventNumbers(): string[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

export function recorder(
  overrides: {
    onFrame?: (frame: ChannelFrame) => Promise<void>;
    onUnauthorized?: (status: number) => Promise<boolean>;
  } = {},
): Recorder {
  const rec: Recorder = {
    frames: [],
    states: [],
    errors: [],
    unauthorized: [],
    gone: [],
    callbacks: {
      onFrame: async (frame) => {
        if (overrides.onFrame) await overrides.onFrame(frame);
        rec.frames.push(frame);
      },
      onState: (state, detail) => {
        rec.states.push([state, detail]);
      },
      onError: (message) => {
        rec.errors.push(message);
      },
      onUnauthorized: async (status) => {
        rec.unauthorized.push(status);
        return overrides.onUnauthorized ? overrides.onUnauthorized(status) : false;
      },
      onSubscriptionGone: (detail) => {
        rec.gone.push(detail);
      },
    },
    eventNumbers: () =>
      rec.frames.flatMap((f) =>
        f.kind === 'notification' && f.notification.type === 'event-notification'
          ? f.notification.events.map((e) => e.eventNumber)
          : [],
      ),
    waitFor: async (predicate, timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > until) throw new Error('waitFor timed out');
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
  return rec;
}

/** Deterministic PRNG for reproducible slicing. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
