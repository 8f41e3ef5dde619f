// Test harness: a real Fastify app on 127.0.0.1:<ephemeral> with the auth server mounted. The port is
// bound first (via serverFactory) so the origin is known before the routes are registered.
import { createHash, randomBytes } from 'node:crypto';
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

// ------------------------------------------------------------------------------------ browser-step driver

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface SignInChoice {
  user?: string;
  decision?: 'approve' | 'deny';
  patient?: string;
}

/** Does what a person does in the browser: open the authorize URL, pick a demo user, press Approve. Returns
 * the URL the browser is redirected to (the client's redirect URI with code/state/iss or error). */
export async function driveSignIn(authorizeUrl: string, choice: SignInChoice = {}): Promise<URL> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  if (page.status === 303) return new URL(page.headers.get('location') ?? '');
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorize returned ${page.status}: ${html.slice(0, 300)}`);
  return submitSignIn(new URL(authorizeUrl).origin, html, choice);
}

export async function submitSignIn(origin: string, html: string, choice: SignInChoice = {}): Promise<URL> {
  const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!requestId || !action) throw new Error('no sign-in form on the page');
  const form = new URLSearchParams({ request: requestId, decision: choice.decision ?? 'approve' });
  if (choice.user !== undefined) form.set('user', choice.user);
  else form.set('user', 'nurse-a');
  if (choice.patient !== undefined) form.set('patient', choice.patient);
  const res = await fetch(new URL(action, origin), { method: 'POST', body: form, redirect: 'manual' });
  if (res.status !== 303)
    throw new Error(`decision returned ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return new URL(res.headers.get('location') ?? '');
}

export async function postForm(url: string, params: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams(params) });
}
