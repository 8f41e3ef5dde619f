// Replay rate from SQLite to the wire: a client reconnects with Last-Event-ID: 0 to a subscription whose
// log holds N events and reads until the last one (id-only and full-resource payloads). The log is built
// from real events (critical potassiums written through the store) copied in SQL up to N, so the focus
// resources exist. Baseline: the same rows read from SQLite and serialised in the server process, with
// no HTTP and no bundles. Usage: node bench/server-replay.ts [events=100000]
import { CRITICAL_LAB_TOPIC } from '../src-main/server/topics/definitions.ts';
import { createSseSubscription, fmt, machine, MiB, now, sleep, startChild } from './server-lib.ts';
import { connect } from 'node:net';

const TOTAL = Math.max(1000, Math.min(1_000_000, Number(process.argv[2] ?? 100_000)));
const REAL = 1000;

/** Read one SSE stream from Last-Event-ID 0 until event `last`; counts ids and bytes (bounded: 120 s). */
function replay(
  url: string,
  token: string,
  last: number,
): Promise<{ ms: number; events: number; bytes: number }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    const started = now();
    let events = 0;
    let bytes = 0;
    let tail = '';
    const needle = `\nid: ${last}\n`;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`replay timed out after ${events} events`));
    }, 120_000);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const text = tail + chunk.toString('latin1');
      let at = text.indexOf('\nid: ', tail.length > 5 ? tail.length - 5 : 0);
      while (at >= 0) {
        events += 1;
        at = text.indexOf('\nid: ', at + 5);
      }
      if (text.includes(needle)) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ms: now() - started, events, bytes });
      }
      tail = text.slice(-32);
    });
    socket.write(
      `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAccept: text/event-stream\r\n` +
        `Authorization: Bearer ${token}\r\nLast-Event-ID: 0\r\n\r\n`,
    );
  });
}

async function main(): Promise<void> {
  console.log(`server-replay: ${fmt(TOTAL, 0)} events per subscription, on ${machine()}`);
  const child = await startChild('fhir');
  const subs = {
    'id-only': await createSseSubscription(child, CRITICAL_LAB_TOPIC, undefined, 'id-only'),
    'full-resource': await createSseSubscription(child, CRITICAL_LAB_TOPIC, undefined, 'full-resource'),
  };
  const written = now();
  await child.call({ cmd: 'emit', count: REAL });
  const writeMs = now() - written;
  console.log(
    `  ${REAL} real events written in ${fmt(writeMs, 0)} ms; copying the log up to ${fmt(TOTAL, 0)}…`,
  );
  for (const sub of Object.values(subs)) {
    const seeded = await child.call({ cmd: 'seed-events', subscriptionId: sub.id, total: TOTAL });
    if (seeded.count !== TOTAL) throw new Error(`seeded ${String(seeded.count)}`);
  }
  await sleep(200);
  const rows: string[] = [];
  for (const [payload, sub] of Object.entries(subs)) {
    const raw = await child.call({ cmd: 'sqlite-read', subscriptionId: sub.id });
    const rawRate = ((raw.count ?? 0) / (raw.ms ?? 1)) * 1000;
    const wire = await replay(sub.endpoint, child.token, TOTAL);
    const rate = (wire.events / wire.ms) * 1000;
    rows.push(
      `| ${payload} | ${fmt(wire.events, 0)} | ${fmt(wire.ms / 1000, 2)} s | ${fmt(rate, 0)} ev/s | ${fmt(wire.bytes / MiB)} MiB (${fmt(((wire.bytes / wire.ms) * 1000) / MiB)} MiB/s) | ${fmt(rawRate, 0)} rows/s | ${fmt(rate / rawRate, 3)} |`,
    );
  }
  await child.stop();
  console.log(
    '\n| payload | events replayed | time | wire rate | bytes | baseline: SQLite read + JSON | ratio |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
