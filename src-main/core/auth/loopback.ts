// RFC 8252 §7.3 loopback redirect listener: bound on 127.0.0.1 before the redirect URI is built, accepts
// exactly one callback whose `state` matches, answers with a static page and closes.
import { createServer } from 'node:http';
import type { Server } from 'node:http';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'referrer-policy': 'no-referrer',
  connection: 'close',
};

function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><main><h1>${title}</h1><p>${message}</p></main></body></html>`;
}

export interface LoopbackListener {
  port: number;
  redirectUri: string;
  /** Resolves with the full callback URL (as received on the redirect URI) for the expected state. */
  waitForCallback(expectedState: string, timeoutMs: number): Promise<URL>;
  close(): void;
}

export async function startLoopbackListener(port = 0, path = '/callback'): Promise<LoopbackListener> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('loopback listener has no port');
  const redirectUri = `http://127.0.0.1:${address.port}${path}`;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    server.close();
    server.closeAllConnections();
  };

  return {
    port: address.port,
    redirectUri,
    close,
    waitForCallback(expectedState, timeoutMs) {
      return new Promise<URL>((resolve, reject) => {
        let accepted = false;
        const timer = setTimeout(() => {
          close();
          reject(new Error(`sign-in timed out after ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        server.on('request', (req, res) => {
          const url = new URL(req.url ?? '/', `http://127.0.0.1:${address.port}`);
          if (accepted || req.method !== 'GET' || url.pathname !== path) {
            res.writeHead(404, PAGE_HEADERS).end(page('Not found', 'Nothing here.'));
            return;
          }
          if (url.searchParams.get('state') !== expectedState) {
            res
              .writeHead(400, PAGE_HEADERS)
              .end(
                page(
                  'Sign-in not recognised',
                  'This response does not belong to the sign-in the app started.',
                ),
              );
            return;
          }
          accepted = true;
          clearTimeout(timer);
          const failed = url.searchParams.has('error');
          res
            .writeHead(200, PAGE_HEADERS)
            .end(
              failed
                ? page('Sign-in did not complete', 'You can close this tab and return to the app.')
                : page('Signed in', 'You can close this tab and return to the app.'),
              () => close(),
            );
          resolve(url);
        });
      });
    },
  };
}
