// The embedded notification server: FHIR R4 subset + Backport subscriptions + SSE/websocket channels,
// bound to 127.0.0.1 only. Used in-process by the app's local mode and standalone through cli.ts.
import Fastify from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Db } from '../lib/sqlite.ts';
import { migrate, openDatabase } from '../lib/sqlite.ts';
import { createConnectionGuard } from './base/connection-guard.ts';
import { operationOutcome } from './base/outcome.ts';
import type { AuthServer, BackendClientRegistration } from './auth/index.ts';
import { createAuthServer } from './auth/index.ts';
import { createStreamRegistry } from './channels/registry.ts';
import { registerSseRoute } from './channels/sse.ts';
import type { ServerContext } from './context.ts';
import { BODY_LIMIT, frameworkErrors, installFhirErrorHandling } from './base/http.ts';
import { registerMetadataRoute } from './fhir/metadata.ts';
import { registerFhirRoutes } from './fhir/routes.ts';
import type { Simulator, SimulatorOptions } from './simulator/index.ts';
import { createSimulator } from './simulator/index.ts';
import { scopeConditionsProblem } from './store/access.ts';
import { createResourceStore } from './store/resources.ts';
import { SERVER_MIGRATIONS } from './store/schema.ts';
import { createBindingTokens } from './subscriptions/binding-tokens.ts';
import { createSubscriptionEngine } from './subscriptions/engine.ts';
import { registerSubscriptionOperations } from './fhir/subscription-operations.ts';
import { seedTopics } from './topics/seed.ts';
import { registerWebsocketChannel } from './channels/websocket.ts';

export interface ServerOptions {
  /** 0 = ephemeral. Default 0. */
  port?: number;
  dbPath: string;
  accessTokenTtlSeconds?: number;
  /** Default heartbeat period (s) for subscriptions that do not set one. Default 30. */
  heartbeatSeconds?: number;
  /** `token-expiring` lead time (s). Default 300. */
  tokenExpiringSeconds?: number;
  /** Event-log retention (days; fractions allowed). Default 7. */
  retentionDays?: number;
  /** Interval (ms) of the maintenance pass (retention pruning, subscription `end`). Default 5000. */
  maintenanceMs?: number;
  /** SSE comment keepalive interval (ms). Default 15000. */
  keepaliveMs?: number;
  /** Unread bytes after which a channel client counts as slow and is dropped. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** How long a channel client may stay above maxBufferedBytes before it is dropped. Default 5000. */
  slowConsumerGraceMs?: number;
  /** Binding-token lifetime (s). Default 120. */
  bindingTokenTtlSeconds?: number;
  /** Open SSE streams and bound websockets one grant may hold; the next gets 429. Default 64. */
  maxStreamsPerGrant?: number;
  /** A websocket that has not bound a subscription this long after opening is closed (ms). Default 30000. */
  websocketBindTimeoutMs?: number;
  /** Open connections (all kinds) above which requests are answered 503 + Retry-After. Default 20000. */
  maxConnections?: number;
  /** Backend-services clients (ward displays, the headless monitor) with their public keys and wards. */
  backendClients?: BackendClientRegistration[];
  /** Seed the simulated wards; the clock runs only with `autoStart: true`. Default: no simulator. */
  simulate?: SimulatorOptions | false;
  logger?: pino.Logger;
  /**
   * The origin clients reach this server at, when that is not the bound one (a loopback fault proxy in
   * the soak tests). Must be a loopback http origin. Default: http://127.0.0.1:<bound port>.
   */
  publicOrigin?: string;
}

export interface RunningServer {
  /** http://127.0.0.1:PORT, or the public origin when one is configured */
  origin: string;
  /** http://127.0.0.1:PORT actually bound (differs from `origin` behind a public origin). */
  boundOrigin: string;
  /** origin + '/fhir' */
  fhirBase: string;
  auth: AuthServer;
  simulator: Simulator | null;
  close(): Promise<void>;
}

const MAINTENANCE_MS = 5_000;
/**
 * Limits no ward reaches (docs/server.md, "Limits"): the app holds one stream per subscription (seven
 * topics), a ward a few dozen clients; the connection cap sits above the 10,000 SSE clients measured.
 */
export const DEFAULT_LIMITS = {
  maxStreamsPerGrant: 64,
  websocketBindTimeoutMs: 30_000,
  maxConnections: 20_000,
  retryAfterSeconds: 5,
} as const;

function loopbackOrigin(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || url.origin !== value.replace(/\/$/, ''))
    throw new Error(`publicOrigin must be a bare http://127.0.0.1:PORT origin, got ${value}`);
  return url.origin;
}

/** Bind 127.0.0.1 first: the origin (and so the auth issuer) depends on the port actually bound. */
async function bind(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Port ${port} on 127.0.0.1 is already in use`
            : `Cannot listen on 127.0.0.1:${port}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const server = await bind(options.port ?? 0);
  // Until the routes are ready, answer instead of leaving early requests hanging.
  const notReady = (_req: IncomingMessage, res: ServerResponse): void => {
    res
      .writeHead(503, { 'content-type': 'application/fhir+json', 'retry-after': '1' })
      .end(JSON.stringify(operationOutcome('transient', 'Server is starting')));
  };
  server.on('request', notReady);
  const port = (server.address() as AddressInfo).port;
  const origin = options.publicOrigin ? loopbackOrigin(options.publicOrigin) : `http://127.0.0.1:${port}`;
  const fhirBase = `${origin}/fhir`;
  // Host names this server answers to: its loopback names on the bound port, and the public origin.
  const guard = createConnectionGuard({
    maxConnections: options.maxConnections ?? DEFAULT_LIMITS.maxConnections,
    allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`, new URL(origin).host],
    retryAfterSeconds: DEFAULT_LIMITS.retryAfterSeconds,
    onRefused: (reason) => logger.warn({ reason }, 'request refused at the door'),
  });
  server.on('connection', (socket) => guard.track(socket));

  let db: Db | null = null;
  try {
    db = openDatabase(options.dbPath);
    migrate(db, 'server', SERVER_MIGRATIONS);
    const store = createResourceStore(db);
    seedTopics(store);
    const engine = createSubscriptionEngine({ db, store, retentionDays: options.retentionDays ?? 7, logger });
    const auth = createAuthServer({
      db,
      origin,
      fhirBase,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      logger: logger.child({ component: 'auth' }),
      clients: options.backendClients ?? [],
      listPatients: () =>
        store.db
          .prepare<[], { id: string }>(
            "SELECT id FROM resource_current WHERE type = 'Patient' AND deleted = 0 ORDER BY id LIMIT 200",
          )
          .all()
          .map((row) => ({ id: row.id, display: `Patient/${row.id}` })),
      checkScopeQuery: scopeConditionsProblem,
    });
    const bindingTokens = createBindingTokens(options.bindingTokenTtlSeconds ?? 120);
    const ctx: ServerContext = {
      origin,
      fhirBase,
      store,
      engine,
      verifier: auth.verifier,
      bindingTokens,
      heartbeatSeconds: options.heartbeatSeconds ?? 30,
      tokenExpiringSeconds: options.tokenExpiringSeconds ?? 300,
      keepaliveMs: options.keepaliveMs ?? 15_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
      slowConsumerGraceMs: options.slowConsumerGraceMs ?? 5000,
      limits: {
        maxStreamsPerGrant: options.maxStreamsPerGrant ?? DEFAULT_LIMITS.maxStreamsPerGrant,
        websocketBindTimeoutMs: options.websocketBindTimeoutMs ?? DEFAULT_LIMITS.websocketBindTimeoutMs,
        retryAfterSeconds: DEFAULT_LIMITS.retryAfterSeconds,
      },
      logger,
    };
    const registry = createStreamRegistry();
    const stopRevocations = auth.verifier.onRevoked((grantIds) => {
      bindingTokens.revokeGrants(grantIds);
      const closed = registry.revoke(grantIds);
      if (closed > 0) logger.info({ grants: grantIds.length, closed }, 'streams closed on revocation');
    });

    const app = Fastify({
      bodyLimit: BODY_LIMIT,
      logger: false,
      frameworkErrors,
      forceCloseConnections: true,
      serverFactory: (handler) => {
        server.off('request', notReady);
        server.on('request', (request, response) => {
          if (guard.admitRequest(request, response)) handler(request, response);
        });
        return server;
      },
    });
    installFhirErrorHandling(app, logger);
    await auth.register(app);
    registerMetadataRoute(app, ctx);
    registerSseRoute(app, ctx, registry);
    registerSubscriptionOperations(app, ctx);
    registerFhirRoutes(app, ctx);
    const websockets = registerWebsocketChannel(server, ctx, registry, guard);
    await app.ready();

    let simulator: Simulator | null = null;
    if (options.simulate) {
      simulator = createSimulator(store, {
        ...options.simulate,
        logger: logger.child({ component: 'simulator' }),
      });
      simulator.seed();
      if (options.simulate.autoStart) simulator.start();
    }
    const maintenance = setInterval(() => {
      try {
        engine.maintain(Date.now());
      } catch (error) {
        logger.error({ err: error }, 'maintenance failed');
      }
    }, options.maintenanceMs ?? MAINTENANCE_MS);
    maintenance.unref();
    logger.info({ origin }, 'server listening');

    const openDb = db;
    let closing: Promise<void> | null = null;
    return {
      origin,
      boundOrigin: `http://127.0.0.1:${port}`,
      fhirBase,
      auth,
      simulator,
      close() {
        closing ??= (async () => {
          simulator?.stop();
          clearInterval(maintenance);
          stopRevocations();
          registry.closeAll();
          websockets.close();
          // Streams were ended above; drop idle keep-alive sockets so close() does not wait for them.
          const closed = server.listening
            ? new Promise<void>((resolve) => server.close(() => resolve()))
            : null;
          server.closeAllConnections();
          await app.close();
          await closed;
          auth.close();
          openDb.close();
          logger.info('server closed');
        })();
        return closing;
      },
    };
  } catch (error) {
    server.close();
    db?.close();
    throw error;
  }
}
