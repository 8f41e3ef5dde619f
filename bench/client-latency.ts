// End-to-end latency: the embedded server (child process) writes critical
// results at a steady rate; latency = notification timestamp (the server's write instant, ms precision)
// → the client's durable commit (monitor `onAccepted`), through the real SSE channel and the whole
// monitor (enrichment, rules and notification run too) on loopback.
//
//   node bench/client-latency.ts [--rate=200] [--seconds=30] [--warmup-seconds=3]
import { join } from 'node:path';
import { silentLogger } from '../src-main/core/log.ts';
import { createMonitor } from '../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../src-main/core/monitor/topics.ts';
import { loadRulesFile, staticRules } from '../src-main/core/rules/rules-holder.ts';
import { openClientStore } from '../src-main/core/store/client-store.ts';
import { machine, numberArg, out, percentile, sleep, startServerChild, verdict } from './client-lib.ts';

const RATE = numberArg('rate', 200);
const SECONDS = numberArg('seconds', 30);
const WARMUP = numberArg('warmup-seconds', 3);
const TARGET_P99 = 25;
const RULES = join(import.meta.dirname, '..', 'resources', 'rules', 'critical-values.json');

async function main(): Promise<void> {
  out(`# client end-to-end latency — ${machine()}`);
  const server = await startServerChild();
  try {
    let token = (await server.call({ cmd: 'token' })).token ?? '';
    const store = openClientStore(join(server.dir, 'client.sqlite'));
    let measuring = false;
    const latencies: number[] = [];
    let accepted = 0;
    let notified = 0;
    const monitor = createMonitor({
      store,
      session: {
        fhirBase: server.fhirBase,
        fhirUser: 'Practitioner/nurse-a',
        accessToken: async () => token,
        refreshNow: async () => {
          token = (await server.call({ cmd: 'token' })).token ?? '';
        },
        tokenExpiresAt: () => Date.now() + 3 * 3600_000,
      },
      notifier: { notify: async () => void (notified += 1) },
      topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 30 }],
      emit: () => undefined,
      onHealthChange: () => undefined,
      logger: silentLogger(),
      rules: staticRules(loadRulesFile(RULES)),
      onAccepted: (event) => {
        accepted += 1;
        if (measuring && event.occurredAt) latencies.push(Date.now() - Date.parse(event.occurredAt));
      },
    });
    await monitor.start();
    for (let i = 0; i < 500 && monitor.health()[0]?.connection !== 'live'; i += 1) await sleep(10);
    out(`stream live; warm-up ${WARMUP} s at ${RATE}/s, then ${SECONDS} s measured`);
    await server.call({ cmd: 'pace', perSecond: RATE, durationMs: WARMUP * 1000 });
    await sleep(200);
    measuring = true;
    const before = accepted;
    const paced = await server.call({ cmd: 'pace', perSecond: RATE, durationMs: SECONDS * 1000 });
    await sleep(500);
    measuring = false;
    const lost = (paced.count ?? 0) - (accepted - before);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    out(
      `server wrote ${paced.count} results in ${((paced.ms ?? 0) / 1000).toFixed(1)} s (pacer max lag ${paced.maxLagMs?.toFixed(1)} ms); ` +
        `client committed ${accepted - before} (${lost === 0 ? 'none missing' : `${lost} not yet committed`}), ${notified} notifications`,
    );
    out(
      `latency write → durable commit: p50 ${p50} ms, p90 ${percentile(latencies, 90)} ms, p99 ${p99} ms, ` +
        `max ${percentile(latencies, 100)} ms (n = ${latencies.length}; 1 ms timestamp resolution)`,
    );
    out(`  → p99 ${verdict(p99 <= TARGET_P99)} (≤ ${TARGET_P99} ms)`);
    const enriched =
      store.db
        .prepare<[], { c: number }>("SELECT count(*) AS c FROM alerts WHERE fetch_status <> 'pending'")
        .get()?.c ?? 0;
    out(`  enrichment kept up: ${enriched} of ${accepted} alerts enriched at the end`);
    await monitor.stop();
    store.close();
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
