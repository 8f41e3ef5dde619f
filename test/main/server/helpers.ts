// Shared test helpers: a real server on 127.0.0.1:0 with a real SQLite file in a temp dir, real tokens
// from the auth server, and a minimal SSE frame reader over fetch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { RunningServer, ServerOptions } from '../../../src-main/server/server.ts';
import { startServer } from '../../../src-main/server/server.ts';
import { DEMO_CLIENT_ID } from '../../../src-main/server/demo-users.ts';
import { CRITICAL_LAB_TOPIC } from '../../../src-main/server/topics/definitions.ts';

/** A pino logger whose records are kept in memory, to wait for and assert on what the server logged. */
export function memoryLogger(): { logger: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), records };
}

export interface TestServer {
  server: RunningServer;
  dir: string;
  dbPath: string;
  /** A demo user's token; the scopes are narrowed to the user's role ceiling like any sign-in. */
  token(userId: string, scopes?: string[], ttlSeconds?: number): string;
  /**
   * A clinical data feed's token (what a laboratory or ADT interface holds): writes clinical data for
   * `wards`, reads them, owns subscriptions. Nurses do not write Observations; a feed does.
   */
  feed(wards?: string[], scopes?: string[]): string;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'alert-server-'));
  const dbPath = options.dbPath ?? join(dir, 'server.sqlite');
  const server = await startServer({ simulate: { seed: 42 }, ...options, dbPath });
  const t: TestServer = {
    server,
    dir,
    dbPath,
    token: (userId, scopes = ['user/*.cruds'], ttlSeconds) =>
      t.server.auth.issueToken({
        userId,
        clientId: DEMO_CLIENT_ID,
        scopes,
        ...(ttlSeconds ? { ttlSeconds } : {}),
      }).accessToken,
    feed: (wards = ['ward-a', 'ward-b'], scopes = ['system/*.cruds']) =>
      t.server.auth.issueServiceToken({
        clientId: 'lab-feed',
        role: 'clinical-feed',
        securityLabels: wards,
        scopes,
      }).accessToken,
    async close() {
      await t.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** events-since-subscription-start from the instance $status operation. */
export async function eventCount(t: TestServer, token: string, id: string): Promise<number> {
  const res = await fhir('GET', `${t.server.fhirBase}/Subscription/${id}/$status`, token);
  const entry = (res.body.entry as { resource: unknown }[])[0];
  return Number(statusOf({ entry: [entry] }).get('events-since-subscription-start'));
}

export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

export function sseSubscription(
  options: {
    topic?: string;
    filter?: string;
    payload?: string;
    heartbeat?: number;
    channel?: 'sse' | 'websocket';
  } = {},
): Record<string, unknown> {
  const channel: Record<string, unknown> =
    options.channel === 'websocket'
      ? { type: 'websocket' }
      : {
          type: 'rest-hook',
          _type: {
            extension: [
              {
                url: `${BACKPORT}/backport-channel-type`,
                valueCoding: {
                  system: 'http://alert-monitor.local/fhir/CodeSystem/channel-type',
                  code: 'server-sent-events',
                },
              },
            ],
          },
        };
  channel.payload = 'application/fhir+json';
  channel._payload = {
    extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: options.payload ?? 'id-only' }],
  };
  if (options.heartbeat) {
    channel.extension = [
      { url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: options.heartbeat },
    ];
  }
  return {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: 'test',
    criteria: options.topic ?? CRITICAL_LAB_TOPIC,
    ...(options.filter
      ? {
          _criteria: {
            extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: options.filter }],
          },
        }
      : {}),
    channel,
  };
}

export interface FhirResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function fhir(
  method: string,
  url: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<FhirResponse> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

export async function createSubscription(
  t: TestServer,
  token: string,
  options: Parameters<typeof sseSubscription>[0] = {},
): Promise<{ id: string; endpoint: string }> {
  const res = await fhir('POST', `${t.server.fhirBase}/Subscription`, token, sseSubscription(options));
  if (res.status !== 201)
    throw new Error(`subscription create failed: ${res.status} ${JSON.stringify(res.body)}`);
  const channel = res.body.channel as { endpoint?: string };
  return { id: res.body.id as string, endpoint: channel.endpoint ?? '' };
}

export interface SseFrame {
  event: string;
  id: string | null;
  data: string;
  comment?: string;
}

export interface SseConnection {
  status: number;
  headers: Headers;
  frames: SseFrame[];
  body: string;
  closed: boolean;
  closedAt: number | null;
  waitFor(predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Open an SSE stream with fetch and parse frames as they arrive (comments recorded as event ':'). */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const conn: SseConnection = {
    status: response.status,
    headers: response.headers,
    frames: [],
    body: '',
    closed: false,
    closedAt: null,
    async waitFor(predicate, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (!predicate(conn.frames)) {
        if (Date.now() > end)
          throw new Error(`timed out; frames: ${conn.frames.map((f) => f.event).join(',')}`);
        if (conn.closed && !predicate(conn.frames)) throw new Error('stream closed before condition');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => controller.abort(),
  };
  if (response.status !== 200 || !response.body) {
    conn.body = await response.text();
    conn.closed = true;
    return conn;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let idx: number;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const frame: SseFrame = { event: 'message', id: null, data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              frame.event = ':';
              frame.comment = line.slice(1).trim();
            } else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('data: ')) frame.data += line.slice(6);
            else if (line.startsWith('retry: ')) frame.event = 'retry';
          }
          conn.frames.push(frame);
        }
      }
    } catch {
      // aborted
    } finally {
      conn.closed = true;
      conn.closedAt = Date.now();
    }
  })();
  return conn;
}

export const events = (frames: SseFrame[]): SseFrame[] =>
  frames.filter((f) => f.event === 'event-notification');

/** Parameters of the status entry of a notification bundle. */
export function statusOf(bundle: unknown): Map<string, unknown> {
  const b = bundle as { entry: { resource: { parameter: { name: string; [k: string]: unknown }[] } }[] };
  const params = b.entry[0]?.resource.parameter ?? [];
  return new Map(
    params.map((p) => [
      p.name,
      p.valueString ?? p.valueCode ?? p.valueReference ?? p.valueCanonical ?? p.part,
    ]),
  );
}

export function focusOf(bundle: unknown): string | undefined {
  const part = statusOf(bundle).get('notification-event') as
    { name: string; valueReference?: { reference: string } }[] | undefined;
  return part?.find((p) => p.name === 'focus')?.valueReference?.reference;
}
