// The embedded server in its own process for the client benchmarks, so the client's event loop (the
// thing measured) is not shared with the server's. Obeys IPC commands; loopback only.
//
//   token        → an access token for nurse-a with the nurse's default scopes (3 h)
//   emit n       → n critical potassium results for ward A, written through the resource store
//   seed total   → grow a subscription's event log to `total` by copying its real events (fast fixture;
//                  not part of any figure)
//   pace r ms    → emit at r results/s, evenly spaced, for ms; replies with the count when done
//   seed-distinct total → like seed, but every copied event names its own copy of the focus Observation
//                  (the catch-up must read and classify 100,000 different results, not one)
//   bare-open    → a bare node:http SSE server (the latency baseline); replies with its URL
//   bare-pace r ms → write `data: <Date.now()>` at r/s to the bare server's clients, evenly spaced
import { createServer, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SCOPES } from '../src-main/core/auth/index.ts';
import { growDistinctEventLog, growEventLog } from './event-log-fixture.ts';
import { DEMO_CLIENT_ID } from '../src-main/server/demo-users.ts';
import { startServer } from '../src-main/server/server.ts';

export type ServerCommand =
  | { cmd: 'token' }
  | { cmd: 'emit'; count: number }
  | { cmd: 'seed'; subscriptionId: string; total: number }
  | { cmd: 'pace'; perSecond: number; durationMs: number }
  | { cmd: 'seed-distinct'; subscriptionId: string; total: number }
  | { cmd: 'bare-open' }
  | { cmd: 'bare-pace'; perSecond: number; durationMs: number }
  | { cmd: 'exit' };

export interface ServerReply {
  ok: boolean;
  error?: string;
  origin?: string;
  fhirBase?: string;
  token?: string;
  count?: number;
  ms?: number;
  /** Pacing: largest lateness of a scheduled write behind its slot (ms). */
  maxLagMs?: number;
  /** bare-open: the bare SSE server's URL. */
  url?: string;
}

/** Evenly spaced calls of `write` at `perSecond` for `durationMs`; each tick writes every slot due. */
function paced(
  perSecond: number,
  durationMs: number,
  write: () => void,
  done: (count: number, ms: number, maxLagMs: number) => void,
): void {
  const interval = 1000 / perSecond;
  const total = Math.round((durationMs / 1000) * perSecond);
  const t0 = performance.now();
  let written = 0;
  let maxLagMs = 0;
  const tick = (): void => {
    const elapsed = performance.now() - t0;
    while (written < total && written * interval <= elapsed) {
      maxLagMs = Math.max(maxLagMs, elapsed - written * interval);
      write();
      written += 1;
    }
    if (written >= total) done(written, performance.now() - t0, maxLagMs);
    else setTimeout(tick, Math.max(0, written * interval - (performance.now() - t0)));
  };
  tick();
}

/** The latency baseline: bare node:http writing SSE messages, nothing else. */
function openBareSse(): Promise<{ url: string; clients: Set<ServerResponse> }> {
  const clients = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.flushHeaders();
    clients.add(response);
    request.on('close', () => clients.delete(response));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.unref();
      resolve({ url: `http://127.0.0.1:${port}/`, clients });
    });
  });
}

const dbPath = process.argv[2] ?? '';
let bare: { url: string; clients: Set<ServerResponse> } | null = null;
const send = (reply: ServerReply): void => void process.send?.(reply);

async function main(): Promise<void> {
  const server = await startServer({ dbPath, simulate: { seed: 7, autoStart: false }, heartbeatSeconds: 30 });
  const simulator = server.simulator;
  if (!simulator) throw new Error('no simulator');
  send({ ok: true, origin: server.origin, fhirBase: server.fhirBase });

  process.on('message', (raw: unknown) => {
    const message = raw as ServerCommand;
    try {
      switch (message.cmd) {
        case 'token': {
          const issued = server.auth.issueToken({
            userId: 'nurse-a',
            clientId: DEMO_CLIENT_ID,
            scopes: DEFAULT_SCOPES.nurse,
            ttlSeconds: 3 * 3600,
          });
          send({ ok: true, token: issued.accessToken });
          break;
        }
        case 'emit':
          for (let i = 0; i < message.count; i += 1) simulator.emitCriticalPotassium('ward-a');
          send({ ok: true, count: message.count });
          break;
        case 'seed': {
          const started = performance.now();
          const count = growEventLog(dbPath, message.subscriptionId, message.total);
          send({ ok: true, count, ms: performance.now() - started });
          break;
        }
        case 'pace':
          paced(
            message.perSecond,
            message.durationMs,
            () => void simulator.emitCriticalPotassium('ward-a'),
            (count, ms, maxLagMs) => send({ ok: true, count, ms, maxLagMs }),
          );
          break;
        case 'seed-distinct': {
          const started = performance.now();
          const count = growDistinctEventLog(dbPath, message.subscriptionId, message.total);
          send({ ok: true, count, ms: performance.now() - started });
          break;
        }
        case 'bare-open':
          void openBareSse().then((opened) => {
            bare = opened;
            send({ ok: true, url: opened.url });
          });
          break;
        case 'bare-pace':
          paced(
            message.perSecond,
            message.durationMs,
            () => {
              const line = `data: ${Date.now()}\n\n`;
              for (const client of bare?.clients ?? []) client.write(line);
            },
            (count, ms, maxLagMs) => send({ ok: true, count, ms, maxLagMs }),
          );
          break;
        case 'exit':
          void server.close().finally(() => {
            send({ ok: true });
            process.exit(0);
          });
          break;
      }
    } catch (error) {
      send({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
}

main().catch((error: unknown) => {
  send({ ok: false, error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
