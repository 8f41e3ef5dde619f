// Serves the built renderer from app://monitor/ (not file://): one origin to trust, a CSP header on
// every response, GET only, and no path may leave the renderer directory.
import { resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../lib/csp.ts';

export const APP_SCHEME = 'app';

/** Must run before `app.ready`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Map an app:// URL to a file inside `rendererDir`, or null when it must not be served. */
export function resolveAppPath(rendererDir: string, requestUrl: string): string | null {
  const url = new URL(requestUrl);
  if (url.host !== 'monitor') return null;
  const root = resolve(rendererDir);
  const path = resolve(root, `.${decodeURIComponent(url.pathname)}`);
  return path === root || path.startsWith(root + sep) ? path : null;
}

export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET') return new Response(null, { status: 405 });
    const path = resolveAppPath(rendererDir, request.url);
    if (!path) return new Response(null, { status: 404 });
    const response = await net.fetch(pathToFileURL(path).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
