// Benchmark child process: runs either the embedded server (`fhir`) or a bare node:http SSE server
// (`bare`, the baseline writing the same frames) and obeys IPC commands from the benchmark script, so
// client sockets and their memory live in the parent. Loopback only. Run with --expose-gc.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src-main/lib/sqlite.ts';
import { growEventLog } from './event-log-fixture.ts';
import type { RunningServer } from '../src-main/server/server.ts';
import { startServer } from '../src-main/server/server.ts';

export type ChildCommand =
  | { cmd: 'mem' }
  | { cmd: 'emit'; count?: number }
  | { cmd: 'bare-frames'; head: string; event: string }
  | { cmd: 'seed-events'; subscriptionId: string; total: number }
  | { cmd: 'sqlite-read'; subscriptionId: string }
  | { cmd: 'exit' };

export interface ChildReply {
  ok: boolean;
  error?: string;
  origin?: string;
  fhirBase?: string;
  token?: string;
  rss?: number;
  heapUsed?: number;
  external?: number;
  connections?: number;
  /** performance.timeOrigin + performance.now() (ms) just before the write/publish. */
  at?: number;
  count?: number;
  ms?: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const mode = process.argv[2] === 'bare' ? 'bare' : 'fhir';
const dbPath = process.argv[3] ?? '';
const send = (reply: ChildReply): void => {
  process.send?.(reply);
};
const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
};

async function main(): Promise<void> {
  let fhir: RunningServer | null = null;
  const bareClients = new Set<ServerResponse>();
  let bareHead = 'retry: 2000\n\n';
  let bareEvent = '';
  let bareEventNumber = 0;
  let origin: string;
  let token: string | undefined;
  const bare = createServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(bareHead);
    bareClients.add(res);
    req.on('close', () => bareClients.delete(res));
  });

  if (mode === 'bare') {
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  } else {
    // One token writes Observations and holds every stream: a ward A laboratory feed (nurses do not
    // write Observations), with the per-grant stream cap lifted for the 10,000-client run.
    fhir = await startServer({
      dbPath,
      simulate: { seed: 7 },
      heartbeatSeconds: 30,
      maxStreamsPerGrant: 100_000,
    });
    origin = fhir.origin;
    token = fhir.auth.issueServiceToken({
      clientId: 'bench-feed',
      role: 'clinical-feed',
      securityLabels: ['ward-a'],
      scopes: ['system/*.cruds'],
      ttlSeconds: 3 * 3600,
    }).accessToken;
  }
  gc();
  send({ ok: true, origin, ...(fhir ? { fhirBase: fhir.fhirBase } : {}), ...(token ? { token } : {}) });

  // The benchmark script owns this process: when it goes away (IPC closes), so do we.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: unknown) => {
    const message = raw as ChildCommand;
    try {
      switch (message.cmd) {
        case 'mem': {
          gc();
          const usage = process.memoryUsage();
          send({
            ok: true,
            rss: usage.rss,
            heapUsed: usage.heapUsed,
            external: usage.external,
            connections: bareClients.size,
          });
          break;
        }
        case 'emit': {
          const count = message.count ?? 1;
          const at = now();
          for (let i = 0; i < count; i += 1) {
            if (fhir) fhir.simulator?.emitCriticalPotassium('ward-a');
            else {
              bareEventNumber += 1;
              const text = bareEvent.replace(/\nid: \d+\n/, `\nid: ${bareEventNumber}\n`);
              for (const res of bareClients) res.write(text);
            }
          }
          send({ ok: true, at, count });
          break;
        }
        case 'bare-frames':
          bareHead = message.head;
          bareEvent = message.event;
          send({ ok: true });
          break;
        case 'seed-events': {
          const started = now();
          const count = growEventLog(dbPath, message.subscriptionId, message.total);
          send({ ok: true, count, ms: now() - started });
          break;
        }
        case 'sqlite-read': {
          // Baseline for replay: the same rows read from SQLite and framed, without HTTP or bundles.
          const db = openDatabase(dbPath, { readonly: true });
          const started = now();
          let count = 0;
          let bytes = 0;
          for (const row of db
            .prepare<[string], Record<string, unknown>>(
              'SELECT * FROM subscription_event WHERE subscription_id = ? ORDER BY event_number',
            )
            .iterate(message.subscriptionId)) {
            count += 1;
            bytes += JSON.stringify(row).length;
          }
          const ms = now() - started;
          db.close();
          send({ ok: true, count, ms, external: bytes });
          break;
        }
        case 'exit':
          void (async () => {
            await fhir?.close();
            bare.closeAllConnections();
            bare.close();
            send({ ok: true });
            process.exit(0);
          })();
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
