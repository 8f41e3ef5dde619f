// When the browser host cannot start (a bad deployment configuration), it says why where the user
// looks: in the terminal, in the log, and on a page at the address the app would have had. The page
// carries only the error text (no data, no secret) and the host serves nothing else.
import { createServer, type Server } from 'node:http';

export interface ErrorPage {
  origin: string;
  close(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Alert Monitor — ${escapeHtml(title)}</title></head>
<body><main><h1>Alert Monitor could not start</h1><h2>${escapeHtml(title)}</h2>
<p role="alert">${escapeHtml(message)}</p>
<p>Nothing is being monitored on this workstation. Fix the file and start the app again.</p></main></body></html>
`;
}

/** Serve one error page on 127.0.0.1:`port` (0: ephemeral; the next ports when it is taken). */
export async function serveErrorPage(options: {
  port: number;
  title: string;
  message: string;
}): Promise<ErrorPage> {
  const body = page(options.title, options.message);
  const server: Server = createServer((_request, response) => {
    response
      .writeHead(503, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': "default-src 'none'",
        'Cache-Control': 'no-store',
      })
      .end(body);
  });
  const candidates = options.port === 0 ? [0] : Array.from({ length: 11 }, (_, i) => options.port + i);
  for (const port of candidates) {
    const bound = await new Promise<number | null>((resolve) => {
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(address && typeof address === 'object' ? address.port : null);
      });
    });
    if (bound !== null)
      return {
        origin: `http://127.0.0.1:${bound}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
  }
  throw new Error(`no free port from ${options.port} for the error page`);
}
