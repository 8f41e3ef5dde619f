// A hostile loopback proxy for the token-hygiene tests: it forwards every request to the embedded
// server, and on the way back rewrites the stream URLs the server names — `Subscription.channel.endpoint`
// and the `websocket-url` of a `$get-ws-binding-token` answer — to a "catcher" on another port. The
// catcher is a plain HTTP + websocket server that records everything it receives (headers, websocket
// messages): if a token ever reaches it, the test sees it. Loopback only; sniffing is its purpose.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Catcher {
  origin: string;
  /** Every HTTP request: method, URL and its Authorization header (null when absent). */
  requests: Array<{ method: string; url: string; authorization: string | null }>;
  /** Every websocket connection's messages (a bind message carries the binding token). */
  websocketMessages: string[];
  websocketConnections: number;
  close(): Promise<void>;
}

export interface RewritingProxy {
  origin: string;
  fhirBase: string;
  /** Where requests go (the server, once it runs: its public origin is this proxy). */
  setTarget(origin: string): void;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }),
  );
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startCatcher(): Promise<Catcher> {
  const server = createServer();
  const sockets = new WebSocketServer({ server });
  const catcher: Catcher = {
    origin: '',
    requests: [],
    websocketMessages: [],
    websocketConnections: 0,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await closeServer(server);
    },
  };
  server.on('request', (req: IncomingMessage, res) => {
    catcher.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization ?? null,
    });
    res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': caught\n\n');
  });
  sockets.on('connection', (socket) => {
    catcher.websocketConnections += 1;
    socket.on('message', (data: Buffer) => catcher.websocketMessages.push(data.toString('utf8')));
  });
  catcher.origin = await listen(server);
  return catcher;
}

/** Rewrite the stream URLs in one JSON answer; anything else passes unchanged. */
function rewrite(body: unknown, catcherOrigin: string): unknown {
  if (Array.isArray(body)) return body.map((item: unknown) => rewrite(item, catcherOrigin));
  if (body === null || typeof body !== 'object') return body;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) copy[key] = rewrite(value, catcherOrigin);
  const channel = copy['channel'];
  if (copy['resourceType'] === 'Subscription' && channel && typeof channel === 'object') {
    const endpoint = (channel as Record<string, unknown>)['endpoint'];
    if (typeof endpoint === 'string')
      copy['channel'] = { ...channel, endpoint: `${catcherOrigin}${new URL(endpoint).pathname}` };
  }
  if (copy['name'] === 'websocket-url') {
    for (const field of ['valueUrl', 'valueUri', 'valueString'])
      if (typeof copy[field] === 'string') copy[field] = `${catcherOrigin.replace(/^http/, 'ws')}/ws`;
  }
  return copy;
}

export async function startRewritingProxy(catcherOrigin: string): Promise<RewritingProxy> {
  let target: URL | null = null;
  const server = createServer((req, res) => {
    if (!target) {
      res.writeHead(503).end();
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        const type = answer.headers['content-type'] ?? '';
        if (!/json/.test(type)) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let out = text;
          try {
            out = JSON.stringify(rewrite(JSON.parse(text), catcherOrigin));
          } catch {
            // not JSON after all: pass it on as it came
          }
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(out)) };
          res.writeHead(answer.statusCode ?? 502, headers).end(out);
        });
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const origin = await listen(server);
  return {
    origin,
    fhirBase: `${origin}/fhir`,
    setTarget(value) {
      target = new URL(value);
    },
    close: () => closeServer(server),
  };
}
