// Shared pieces of the server benchmarks: the child server process (so client memory is not counted),
// raw-socket SSE clients spread over loopback source addresses, and small statistics helpers.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildCommand, ChildReply } from './server-child.ts';

export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const KiB = 1024;
export const MiB = 1024 * 1024;

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

export interface BenchChild {
  origin: string;
  fhirBase: string;
  token: string;
  dbPath: string;
  call(command: ChildCommand): Promise<ChildReply>;
  stop(): Promise<void>;
}

/**
 * Start the server (or the bare baseline) in a child with the open-files limit raised to the hard limit
 * (`ulimit -n` in a shell that then execs node; IPC survives the exec).
 */
export async function startChild(mode: 'fhir' | 'bare'): Promise<BenchChild> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  const dbPath = join(dir, 'server.sqlite');
  const script = join(import.meta.dirname, 'server-child.ts');
  const child: ChildProcess = spawn(
    '/bin/sh',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" --expose-gc "$@"',
      process.execPath,
      script,
      mode,
      dbPath,
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const waiting: ((reply: ChildReply) => void)[] = [];
  child.on('message', (raw: unknown) => waiting.shift()?.(raw as ChildReply));
  const first = await new Promise<ChildReply>((resolve, reject) => {
    waiting.push(resolve);
    child.once('exit', (code) => reject(new Error(`bench child exited ${String(code)}`)));
  });
  if (!first.ok || !first.origin) throw new Error(`bench child failed: ${first.error ?? 'no origin'}`);
  const call = (command: ChildCommand): Promise<ChildReply> =>
    new Promise<ChildReply>((resolve, reject) => {
      waiting.push((reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error ?? 'child error'))));
      child.send(command);
    });
  return {
    origin: first.origin,
    fhirBase: first.fhirBase ?? '',
    token: first.token ?? '',
    dbPath,
    call,
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'exit' } satisfies ChildCommand);
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SseClient {
  socket: Socket;
  /** Receipt time (now()) of each event-notification frame, by its id. */
  received: Map<number, number>;
  handshake: boolean;
  status: number;
  /** Raw text of the first frames (for the baseline server to copy). */
  firstBytes: string;
}

/**
 * Open one SSE stream over a raw socket. Frames are split on blank lines; only the event name and id
 * are looked at, so the client stays cheap at 10,000 connections.
 */
export function openClient(
  url: string,
  headers: Record<string, string>,
  localAddress: string,
  keepText = false,
): Promise<SseClient> {
  const target = new URL(url);
  return new Promise<SseClient>((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port), localAddress });
    const client: SseClient = { socket, received: new Map(), handshake: false, status: 0, firstBytes: '' };
    let buffer = '';
    let headDone = false;
    const timer = setTimeout(() => reject(new Error('SSE connect timed out')), 30_000);
    socket.setNoDelay(true);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk: Buffer) => {
      const at = now();
      buffer += chunk.toString('latin1');
      if (keepText && client.firstBytes.length < 64 * KiB) client.firstBytes += chunk.toString('utf8');
      if (!headDone) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffer)?.[1] ?? 0);
        buffer = buffer.slice(end + 4);
        headDone = true;
        if (client.status !== 200) {
          clearTimeout(timer);
          reject(new Error(`SSE status ${client.status}`));
          return;
        }
      }
      let idx: number;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        // Bodies are chunked (HTTP/1.1 without length): a chunk-size line may precede a frame.
        if (block.includes('event: event-notification')) {
          const id = /\nid: (\d+)/.exec(block);
          if (id?.[1]) client.received.set(Number(id[1]), at);
        } else if (!client.handshake && block.includes('event: handshake')) {
          client.handshake = true;
          clearTimeout(timer);
          resolve(client);
        }
      }
    });
    const path = `${target.pathname}${target.search}`;
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: text/event-stream\r\n${extra}\r\n`);
  });
}

/** Open `count` streams, `batch` at a time, spreading source addresses over 127.0.0.1–127.0.0.4. */
export async function openClients(
  url: string,
  headers: Record<string, string>,
  count: number,
  batch = 250,
): Promise<SseClient[]> {
  const clients: SseClient[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    const opened = await Promise.all(
      Array.from({ length: size }, (_, j) => openClient(url, headers, `127.0.0.${1 + ((i + j) % 4)}`)),
    );
    clients.push(...opened);
  }
  return clients;
}

export function closeClients(clients: SseClient[]): void {
  for (const client of clients) client.socket.destroy();
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

export async function fhirRequest(
  method: string,
  url: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

/** An SSE-channel backport Subscription on a topic, with optional filter and payload. */
export function subscriptionResource(
  topic: string,
  filter?: string,
  payload: 'empty' | 'id-only' | 'full-resource' = 'id-only',
): Record<string, unknown> {
  return {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: 'benchmark',
    criteria: topic,
    ...(filter
      ? { _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: filter }] } }
      : {}),
    channel: {
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
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: payload }] },
    },
  };
}

export async function createSseSubscription(
  child: BenchChild,
  topic: string,
  filter?: string,
  payload: 'empty' | 'id-only' | 'full-resource' = 'id-only',
): Promise<{ id: string; endpoint: string }> {
  const res = await fhirRequest(
    'POST',
    `${child.fhirBase}/Subscription`,
    child.token,
    subscriptionResource(topic, filter, payload),
  );
  if (res.status !== 201) throw new Error(`subscription create: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, endpoint: (res.body.channel as { endpoint: string }).endpoint };
}

export const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(n);

/**
 * The embedded server's real frames for a subscription (retry + handshake, and one event-notification),
 * so the bare node:http baseline writes byte-identical ones.
 */
export async function captureRealFrames(
  fhir: BenchChild,
  endpoint: string,
  headers: Record<string, string>,
): Promise<{ head: string; event: string }> {
  const probe = await openClient(endpoint, headers, '127.0.0.1', true);
  await fhir.call({ cmd: 'emit' });
  const until = now() + 5000;
  while (probe.received.size === 0 && now() < until) await sleep(10);
  probe.socket.destroy();
  // Strip the chunked transfer framing; the baseline's res.write calls add their own.
  const body = probe.firstBytes
    .slice(probe.firstBytes.indexOf('\r\n\r\n') + 4)
    .replace(/(^|\r\n)[0-9a-f]+\r\n/g, '');
  const blocks = body.split('\n\n');
  const head = `${blocks.filter((b) => b.startsWith('retry:') || b.startsWith('event: handshake')).join('\n\n')}\n\n`;
  const event = `${blocks.find((b) => b.startsWith('event: event-notification')) ?? ''}\n\n`;
  return { head, event };
}
