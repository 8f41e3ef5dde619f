// Fan-out latency at 1,000 SSE clients: one critical event (a critical potassium written through the
// store, topic evaluation included) → receipt of its frame by every client. Timestamps are taken just
// before the write in the server process and on socket data in the client process (same clock:
// performance.timeOrigin + now()). Baseline: a bare node:http SSE server writing the same event frame
// to the same number of clients. Usage: node bench/server-fanout.ts [clients=1000] [events=30]
import { CRITICAL_LAB_TOPIC } from '../src-main/server/topics/definitions.ts';
import type { BenchChild, SseClient } from './server-lib.ts';
import {
  captureRealFrames,
  closeClients,
  createSseSubscription,
  fmt,
  machine,
  now,
  openClients,
  percentile,
  sleep,
  startChild,
} from './server-lib.ts';

const CLIENTS = Math.max(1, Math.min(10_000, Number(process.argv[2] ?? 1000)));
const EVENTS = Math.max(1, Math.min(200, Number(process.argv[3] ?? 30)));
const GAP_MS = 100;

interface Result {
  label: string;
  all: number[];
  /** Per event: time until the last client had it. */
  lastPerEvent: number[];
  missing: number;
}

async function run(label: string, child: BenchChild, clients: SseClient[], firstId: number): Promise<Result> {
  const all: number[] = [];
  const lastPerEvent: number[] = [];
  let missing = 0;
  for (let i = 0; i < EVENTS; i += 1) {
    const id = firstId + i;
    const emitted = await child.call({ cmd: 'emit' });
    const deadline = now() + 10_000;
    while (clients.some((c) => !c.received.has(id)) && now() < deadline) await sleep(5);
    let last = 0;
    for (const client of clients) {
      const at = client.received.get(id);
      if (at === undefined) {
        missing += 1;
        continue;
      }
      const latency = at - (emitted.at ?? 0);
      all.push(latency);
      last = Math.max(last, latency);
    }
    lastPerEvent.push(last);
    await sleep(GAP_MS);
  }
  return { label, all: all.sort((a, b) => a - b), lastPerEvent: lastPerEvent.sort((a, b) => a - b), missing };
}

async function main(): Promise<void> {
  console.log(`server-fanout: ${CLIENTS} clients, ${EVENTS} events ${GAP_MS} ms apart, on ${machine()}`);
  const fhir = await startChild('fhir');
  const sub = await createSseSubscription(fhir, CRITICAL_LAB_TOPIC, 'Observation?location=Location/ward-a');
  const headers = { authorization: `Bearer ${fhir.token}` };
  // The real frames, so the baseline writes byte-identical ones.
  const { head, event } = await captureRealFrames(fhir, sub.endpoint, headers);

  const results: Result[] = [];
  let clients = await openClients(sub.endpoint, headers, CLIENTS);
  await sleep(500);
  results.push(await run('embedded server', fhir, clients, 2));
  closeClients(clients);
  await fhir.stop();

  const bare = await startChild('bare');
  await bare.call({ cmd: 'bare-frames', head, event });
  clients = await openClients(`${bare.origin}/sse`, {}, CLIENTS);
  await sleep(500);
  results.push(await run('bare node:http', bare, clients, 1));
  closeClients(clients);
  await bare.stop();

  console.log(`\nevent frame ${event.length} B`);
  console.log('| server | clients | deliveries | p50 | p90 | p99 | max | last client p50 / p99 | missing |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.label} | ${fmt(CLIENTS, 0)} | ${fmt(r.all.length, 0)} | ${fmt(percentile(r.all, 50), 2)} ms | ${fmt(percentile(r.all, 90), 2)} ms | ${fmt(percentile(r.all, 99), 2)} ms | ${fmt(r.all[r.all.length - 1] ?? NaN, 2)} ms | ${fmt(percentile(r.lastPerEvent, 50), 2)} / ${fmt(percentile(r.lastPerEvent, 99), 2)} ms | ${r.missing} |`,
    );
  }
  const [ours, baseline] = results;
  if (ours && baseline) {
    console.log(
      `\nratio embedded/bare: p50 ${fmt(percentile(ours.all, 50) / percentile(baseline.all, 50), 2)}×, p99 ${fmt(percentile(ours.all, 99) / percentile(baseline.all, 99), 2)}×`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
