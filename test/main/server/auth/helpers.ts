// Test harness: a real Fastify app on 127.0.0.1:<ephemeral> with the auth server mounted. The port is
// bound first (via serverFactory) so the origin is known before the routes are registered.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { openDatabase } from '../../../../src-main/lib/sqlite.ts';
import type { Db } from '../../../../src-main/lib/sqlite.ts';
import { createAuthServer } from '../../../../src-main/server/auth/index.ts';
import type { AuthServer, AuthServerOptions } from '../../../../src-main/server/auth/index.ts';

export interface Harness {
  origin: string;
  fhirBase: string;
  db: Db;
  auth: AuthServer;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startAuthHarness(
  options: Partial<Omit<AuthServerOptions, 'db' | 'origin' | 'fhirBase'>> = {},
  extraRoutes?: (
    app: FastifyInstance,
    harness: { origin: string; fhirBase: string; auth: AuthServer },
  ) => void,
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-test-'));
  const db = openDatabase(join(dir, 'auth.db'), { synchronous: 'NORMAL' });
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const origin = `http://127.0.0.1:${address.port}`;
  const fhirBase = `${origin}/fhir`;
  const auth = createAuthServer({ db, origin, fhirBase, accessTokenTtlSeconds: 60, ...options });
  const app = Fastify({
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
      server.on('request', handler);
      return server;
    },
  });
  await auth.register(app);
  extraRoutes?.(app, { origin, fhirBase, auth });
  await app.ready();
  return {
    origin,
    fhirBase,
    db,
    auth,
    app,
    async close() {
      auth.close();
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
