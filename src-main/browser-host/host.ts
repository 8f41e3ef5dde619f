// The browser host: serves the built renderer and the same MonitorApi over loopback HTTP + SSE, so the
// whole product runs (and is tested) in real Chromium where no Electron runtime exists.
//
// Threat model: any local process or web page may talk to 127.0.0.1. So the host binds loopback only,
// checks the Host header (DNS rebinding), requires a per-launch secret exchanged once for an HttpOnly
// SameSite=Strict cookie, and refuses calls whose Origin is not its own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  ApiRefusedError,
  ApiValidationError,
  isApiMethod,
  parseApiArgs,
  type HostEvent,
  type MonitorHandlers,
} from '../shared/api.ts';
import type { Logger } from '../core/log.ts';
import { CONTENT_SECURITY_POLICY } from '../lib/csp.ts';

export interface BrowserHostOptions {
  handlers: MonitorHandlers;
  onEvent(listener: (event: HostEvent) => void): () => void;
  rendererDir: string;
  /** Preferred port; 0 for ephemeral. When taken, the next free one is used (see `portSearch`). */
  port: number;
  /** How many successive ports to try after `port` before giving up. */
  portSearch?: number;
  logger: Logger;
  secret?: string;
}

export interface BrowserHost {
  origin: string;
  /** Open this once to get the session cookie; contains the per-launch secret. */
  launchUrl: string;
  close(): Promise<void>;
}

const COOKIE = 'alert_monitor_session';
const MAX_BODY = 64 * 1024;

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function cookieValue(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return null;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(resolve(rendererDir, 'index.html'))) {
    throw new Error(
      `The renderer is not built (${rendererDir}/index.html missing): run "npm run build" first.`,
    );
  }
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY, forceCloseConnections: true });
  let origin = '';
  const eventStreams = new Set<FastifyReply>();

  const authorised = (request: FastifyRequest) => {
    const value = cookieValue(request);
    return value !== null && sameSecret(value, secret);
  };

  app.addHook('onRequest', async (request, reply) => {
    const port = new URL(origin || 'http://127.0.0.1').port;
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(request.headers.host ?? '')) {
      return reply.code(421).type('text/plain').send('Misdirected request: wrong Host header.');
    }
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', 'no-store');
    if (request.url.startsWith('/api/')) {
      if (!authorised(request)) return reply.code(401).send({ error: 'Missing or wrong launch secret.' });
      const requestOrigin = request.headers.origin;
      const isSafeMethod = request.method === 'GET' || request.method === 'HEAD';
      if (
        (requestOrigin !== undefined && requestOrigin !== origin) ||
        (!isSafeMethod && requestOrigin === undefined)
      ) {
        return reply.code(403).send({ error: 'Foreign origin refused.' });
      }
    }
  });

  // Exchange the launch secret for the cookie, then drop it from the address bar.
  app.get('/', async (request, reply) => {
    const launch = (request.query as { launch?: unknown }).launch;
    if (typeof launch === 'string') {
      if (!sameSecret(launch, secret)) return reply.code(401).type('text/plain').send('Wrong launch link.');
      reply.header('Set-Cookie', `${COOKIE}=${secret}; HttpOnly; SameSite=Strict; Path=/`);
      return reply.redirect('/', 303);
    }
    if (!authorised(request)) {
      return reply
        .code(401)
        .type('text/plain')
        .send('Open the launch link printed by "npm start" (it carries this session\'s secret).');
    }
    return reply.type('text/html').sendFile('index.html');
  });

  await app.register(fastifyStatic, { root: rendererDir, index: false, wildcard: true, serve: true });

  app.post<{ Params: { method: string } }>('/api/call/:method', async (request, reply) => {
    const { method } = request.params;
    if (!isApiMethod(method)) return reply.code(404).send({ error: `Unknown call ${method}.` });
    try {
      const args = parseApiArgs(method, request.body);
      // Each handler is typed by its own schema; the map lookup loses that link, hence the cast.
      const handler = options.handlers[method] as (a: unknown) => Promise<unknown>;
      return { result: await handler(args) };
    } catch (error) {
      if (error instanceof ApiValidationError) return reply.code(400).send({ error: error.message });
      // Refused by the workstation's access rules: nothing changed; the words say what to do.
      if (error instanceof ApiRefusedError)
        return reply.code(403).send({ error: error.message, refused: error.code });
      options.logger.error({ method, err: String(error) }, 'API call failed');
      return reply.code(500).send({ error: `${method} failed.` });
    }
  });

  app.get('/api/events', (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    });
    raw.write('retry: 1000\n\n');
    const unsubscribe = options.onEvent((event) => {
      raw.write(`event: host-event\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const keepalive = setInterval(() => raw.write(': keepalive\n\n'), 15_000);
    eventStreams.add(reply);
    request.raw.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      eventStreams.delete(reply);
    });
  });

  const port = await findFreePort(options.port, options.portSearch ?? 10);
  origin = `http://127.0.0.1:${port}`;
  await app.listen({ host: '127.0.0.1', port });
  return {
    origin,
    launchUrl: `${origin}/?launch=${secret}`,
    async close() {
      for (const stream of eventStreams) stream.raw.end();
      await app.close();
    },
  };
}

/** First free loopback port from `port` on (0 = ephemeral), or a clear error naming the range. */
async function findFreePort(port: number, search: number): Promise<number> {
  const candidates = port === 0 ? [0] : Array.from({ length: search + 1 }, (_, i) => port + i);
  for (const candidate of candidates) {
    const free = await new Promise<number | null>((resolvePort) => {
      const probe = createServer();
      probe.once('error', () => resolvePort(null));
      probe.listen({ host: '127.0.0.1', port: candidate }, () => {
        const address = probe.address();
        probe.close(() => resolvePort(address && typeof address === 'object' ? address.port : null));
      });
    });
    if (free !== null) return free;
  }
  throw new Error(
    `Ports ${candidates[0]}-${candidates.at(-1)} on 127.0.0.1 are all in use; set ALERT_MONITOR_PORT to a free port.`,
  );
}
