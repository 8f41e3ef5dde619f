// Concurrent SSE clients held by one server process: server RSS / heap growth per connection for the
// embedded server and for a bare node:http SSE server writing the same frames (the baseline), plus a
// delivery check (one event to every connection). Usage: node bench/server-sse-clients.ts [N=10000]
import { CRITICAL_LAB_TOPIC } from '../src-main/server/topics/definitions.ts';
import type { BenchChild, SseClient } from './server-lib.ts';
import {
  captureRealFrames,
  closeClients,
  createSseSubscription,
  fmt,
  KiB,
  machine,
  MiB,
  now,
  openClients,
  sleep,
  startChild,
} from './server-lib.ts';

const N = Math.max(1, Math.min(50_000, Number(process.argv[2] ?? 10_000)));
const CHECKPOINT = Math.min(1000, N);

interface Result {
  label: string;
  rows: { n: number; rss: number; heap: number; external: number }[];
  openSeconds: number;
  delivered: number;
  deliveryMs: number;
}

async function measure(
  label: string,
  child: BenchChild,
  url: string,
  headers: Record<string, string>,
): Promise<Result> {
  const base = await child.call({ cmd: 'mem' });
  const rows: Result['rows'] = [];
  const clients: SseClient[] = [];
  const started = now();
  for (const target of [CHECKPOINT, N]) {
    if (target <= clients.length) continue;
    clients.push(...(await openClients(url, headers, target - clients.length)));
    await sleep(500);
    const mem = await child.call({ cmd: 'mem' });
    rows.push({
      n: clients.length,
      rss: (mem.rss ?? 0) - (base.rss ?? 0),
      heap: (mem.heapUsed ?? 0) - (base.heapUsed ?? 0),
      external: (mem.external ?? 0) - (base.external ?? 0),
    });
    process.stdout.write(`  ${label}: ${clients.length} open\n`);
  }
  const openSeconds = (now() - started) / 1000;
  // Delivery check: one event must reach every connection (bounded wait).
  const emitted = await child.call({ cmd: 'emit' });
  const deadline = now() + 30_000;
  const reached = (): number => clients.filter((c) => c.received.size > 0).length;
  while (reached() < clients.length && now() < deadline) await sleep(20);
  const last = Math.max(...clients.map((c) => [...c.received.values()][0] ?? 0));
  const result = {
    label,
    rows,
    openSeconds,
    delivered: reached(),
    deliveryMs: last - (emitted.at ?? 0),
  };
  closeClients(clients);
  return result;
}

async function main(): Promise<void> {
  console.log(`server-sse-clients: N=${N} on ${machine()}`);
  const fhir = await startChild('fhir');
  const sub = await createSseSubscription(fhir, CRITICAL_LAB_TOPIC, 'Observation?location=Location/ward-a');
  const headers = { authorization: `Bearer ${fhir.token}` };
  // The real frames, so the baseline writes byte-identical ones.
  const { head, event } = await captureRealFrames(fhir, sub.endpoint, headers);

  const results: Result[] = [];
  results.push(await measure('embedded server', fhir, sub.endpoint, headers));
  await fhir.stop();
  const bare = await startChild('bare');
  await bare.call({ cmd: 'bare-frames', head, event });
  results.push(await measure('bare node:http', bare, `${bare.origin}/sse`, {}));
  await bare.stop();

  console.log(`\nframes: head ${head.length} B (retry + handshake), event ${event.length} B`);
  console.log(
    '| server | connections | RSS Δ | RSS/conn | heap/conn | external/conn | open time | 1 event reached | last receipt |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    for (const row of r.rows) {
      const last = row.n === N;
      console.log(
        `| ${r.label} | ${fmt(row.n, 0)} | ${fmt(row.rss / MiB)} MiB | ${fmt(row.rss / row.n / KiB)} KiB | ${fmt(row.heap / row.n / KiB)} KiB | ${fmt(row.external / row.n / KiB)} KiB | ${last ? `${fmt(r.openSeconds)} s` : ''} | ${last ? `${fmt(r.delivered, 0)}/${fmt(N, 0)}` : ''} | ${last ? `${fmt(r.deliveryMs, 0)} ms` : ''} |`,
      );
    }
  }
  const [ours, baseline] = results;
  const a = ours?.rows[ours.rows.length - 1];
  const b = baseline?.rows[baseline.rows.length - 1];
  if (a && b) {
    console.log(
      `\nRSS per connection at ${fmt(N, 0)}: ${fmt(a.rss / a.n / KiB)} KiB vs baseline ${fmt(b.rss / b.n / KiB)} KiB (ratio ${fmt(a.rss / b.rss, 2)}×); target ≤ 24 KiB: ${a.rss / a.n <= 24 * KiB ? 'met' : 'NOT met'}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
