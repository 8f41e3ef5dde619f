// The browser host: serves the built renderer and the same MonitorApi over loopback HTTP + SSE, so the
// whole product runs (and is tested) in real Chromium where no Electron runtime exists.
//
// Threat model: any local process or web page may talk to 127.0.0.1. So the host binds loopback only,
// checks the Host header (DNS rebinding), and refuses calls whose Origin is not its own. A browser gets
// in with a launch link that works once within a minute (launch-links.ts) and is exchanged for a
// separate HttpOnly SameSite=Strict session cookie (sessions.ts), which survives a host restart on the
// same data directory.
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
import { createLaunchLinks } from './launch-links.ts';
import { openBrowserSessions } from './sessions.ts';

export interface BrowserHostOptions {
  handlers: MonitorHandlers;
  onEvent(listener: (event: HostEvent) => void): () => void;
  rendererDir: string;
  /** Preferred port; 0 for ephemeral. When taken, the next free one is used (see `portSearch`). */
  port: number;
  /** How many successive ports to try after `port` before giving up. */
  portSearch?: number;
  logger: Logger;
  /** The data directory: the launch file and the session hashes live here (0600). */
  stateDir: string;
  /** The clock of the launch links and sessions (tests). */
  now?: () => number;
  /** How often an open event stream sends a keepalive and counts as its session's use (tests). */
  keepaliveMs?: number;
}

export interface BrowserHost {
  origin: string;
  /** A launch link: works once, within a minute. Each read gives one that has not been used. */
  readonly launchUrl: string;
  /** The 0600 page in the data directory that always carries a fresh launch link (for the opener). */
  launchFile: string;
  close(): Promise<void>;
}

const COOKIE = 'alert_monitor_session';
const MAX_BODY = 64 * 1024;
/** Pages (tabs) one browser session may hold open at once, each with its event stream. */
const MAX_STREAMS_PER_SESSION = 8;
/** Pushed bytes a stream may have waiting for a page that does not read them. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

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
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY, forceCloseConnections: true });
  const port = await findFreePort(options.port, options.portSearch ?? 10);
  const origin = `http://127.0.0.1:${port}`;
  const eventStreams = new Set<FastifyReply>();
  /** Open event streams per session cookie. */
  const streamsOf = new Map<string, number>();
  const sessions = openBrowserSessions(options.stateDir, options.now ?? Date.now);
  const links = createLaunchLinks({
    origin,
    stateDir: options.stateDir,
    ...(options.now ? { now: options.now } : {}),
  });

  const authorised = (request: FastifyRequest) => {
    const value = cookieValue(request);
    return value !== null && sessions.verify(value);
  };

  app.addHook('onRequest', async (request, reply) => {
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(request.headers.host ?? '')) {
      return reply.code(421).type('text/plain').send('Misdirected request: wrong Host header.');
    }
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', 'no-store');
  });

  // Attached to the API routes themselves, never decided from the raw URL: the router decodes a path
  // before matching it, so `/%61pi/call/…` reaches the same handler as `/api/call/…`.
  const apiGuard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!authorised(request))
      return reply
        .code(401)
        .send({ error: 'No session: open a new launch link (launch.html in the data directory).' });
    const requestOrigin = request.headers.origin;
    const isSafeMethod = request.method === 'GET' || request.method === 'HEAD';
    if (
      (requestOrigin !== undefined && requestOrigin !== origin) ||
      (!isSafeMethod && requestOrigin === undefined)
    ) {
      return reply.code(403).send({ error: 'Foreign origin refused.' });
    }
  };

  // Exchange a launch link, once, for a session cookie of its own; then drop it from the address bar.
  app.get('/', async (request, reply) => {
    const launch = (request.query as { launch?: unknown }).launch;
    if (typeof launch === 'string') {
      if (!links.consume(launch))
        return reply
          .code(401)
          .type('text/plain')
          .send(
            'This launch link was already used or has expired. Open launch.html in the data directory again.',
          );
      reply.header('Set-Cookie', `${COOKIE}=${sessions.create()}; HttpOnly; SameSite=Strict; Path=/`);
      return reply.redirect('/', 303);
    }
    if (!authorised(request)) {
      return reply
        .code(401)
        .type('text/plain')
        .send('Open launch.html in the data directory (npm start prints where): it carries a one-time link.');
    }
    return reply.type('text/html').sendFile('index.html');
  });

  await app.register(fastifyStatic, { root: rendererDir, index: false, wildcard: true, serve: true });

  app.post<{ Params: { method: string } }>(
    '/api/call/:method',
    { onRequest: apiGuard },
    async (request, reply) => {
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
    },
  );

  app.get('/api/events', { onRequest: apiGuard }, (request, reply) => {
    const session = cookieValue(request) ?? '';
    const held = streamsOf.get(session) ?? 0;
    if (held >= MAX_STREAMS_PER_SESSION)
      return reply
        .code(429)
        .send({ error: `Too many open pages on this session (${held}): close one, or use another browser.` });
    streamsOf.set(session, held + 1);
    reply.hijack();
    const raw = reply.raw;
    // A page that stopped reading (a frozen tab, a stalled proxy) must not make the host buffer every
    // push for it: past the allowance its stream ends, and the page reconnects and refetches.
    const send = (text: string) => {
      if (raw.destroyed) return;
      if (raw.writableLength > MAX_UNSENT_BYTES) raw.destroy();
      else raw.write(text);
    };
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    });
    raw.write('retry: 1000\n\n');
    const unsubscribe = options.onEvent((event) =>
      send(`event: host-event\ndata: ${JSON.stringify(event)}\n\n`),
    );
    // An open stream is a page in use: each keepalive counts as its session's use, and a session that
    // ended (idle elsewhere, or pushed out by newer ones) ends its stream too.
    const keepalive = setInterval(() => {
      if (authorised(request)) send(': keepalive\n\n');
      else raw.end();
    }, options.keepaliveMs ?? 15_000);
    eventStreams.add(reply);
    raw.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      eventStreams.delete(reply);
      const left = (streamsOf.get(session) ?? 1) - 1;
      if (left > 0) streamsOf.set(session, left);
      else streamsOf.delete(session);
    });
  });

  await app.listen({ host: '127.0.0.1', port });
  return {
    origin,
    get launchUrl() {
      return links.fresh();
    },
    launchFile: links.file,
    async close() {
      links.stop();
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
