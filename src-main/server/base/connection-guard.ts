// The door of the embedded server, before Fastify or the websocket server see a request: the Host header
// must name this server (loopback names with its port, or the configured public origin), so a web page
// on another name that resolves to 127.0.0.1 (DNS rebinding) gets 421; and past a global number of open
// connections the next request is answered 503 with Retry-After instead of exhausting the process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { operationOutcome } from './outcome.ts';

export interface ConnectionGuardOptions {
  /** Open TCP connections (HTTP, SSE, websocket) above which requests get 503. */
  maxConnections: number;
  /** Host header values (`host:port`, lower case) this server answers to. */
  allowedHosts: readonly string[];
  /** Seconds a refused client is told to wait. */
  retryAfterSeconds: number;
  /** Called once per refusal, with no request data (for a log line). */
  onRefused?: (reason: 'host' | 'capacity') => void;
}

export interface ConnectionGuard {
  /** For `server.on('connection')`: counts the socket while it is open. */
  track(socket: Socket): void;
  /** True when the request may proceed; otherwise it has been answered (421 or 503). */
  admitRequest(request: IncomingMessage, response: ServerResponse): boolean;
  /** The same for a websocket upgrade, answered on the raw socket. */
  admitUpgrade(request: IncomingMessage, socket: Duplex): boolean;
  openConnections(): number;
}

/** How long a connection over the cap may stay without sending a request. */
const OVER_CAP_IDLE_MS = 10_000;

type Refusal = { status: 421 | 503; text: string; headers: Record<string, string> };

export function createConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  let open = 0;
  const overCap = new WeakSet<object>();
  const allowed = new Set(options.allowedHosts.map((host) => host.toLowerCase()));

  const refusal = (request: IncomingMessage): Refusal | null => {
    if (overCap.has(request.socket)) {
      options.onRefused?.('capacity');
      return {
        status: 503,
        text: 'Service Unavailable',
        headers: { 'retry-after': String(options.retryAfterSeconds) },
      };
    }
    if (!allowed.has((request.headers.host ?? '').toLowerCase())) {
      options.onRefused?.('host');
      return { status: 421, text: 'Misdirected Request', headers: {} };
    }
    return null;
  };
  const body = (status: number): string =>
    JSON.stringify(
      status === 503
        ? operationOutcome('transient', 'The server is at its connection limit; retry later')
        : operationOutcome('security', 'Misdirected request: the Host header does not name this server'),
    );

  return {
    track(socket) {
      open += 1;
      socket.once('close', () => {
        open -= 1;
      });
      if (open > options.maxConnections) {
        overCap.add(socket);
        socket.setTimeout(OVER_CAP_IDLE_MS, () => socket.destroy());
      }
    },
    admitRequest(request, response) {
      const refused = refusal(request);
      if (!refused) return true;
      response
        .writeHead(refused.status, {
          ...refused.headers,
          'content-type': 'application/fhir+json; charset=utf-8',
          connection: 'close',
        })
        .end(body(refused.status));
      return false;
    },
    admitUpgrade(request, socket) {
      const refused = refusal(request);
      if (!refused) return true;
      const text = body(refused.status);
      const headers = Object.entries(refused.headers).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.end(
        `HTTP/1.1 ${refused.status} ${refused.text}\r\nContent-Type: application/fhir+json; charset=utf-8\r\n` +
          `${headers.join('')}Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
      return false;
    },
    openConnections: () => open,
  };
}
