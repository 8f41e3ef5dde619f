// What a nurse waits for: result → OS notification call, for critical results written by the embedded
// server (child process) at a steady 200 results/s, through the real SSE channel and the whole monitor
// (commit, claim-check enrichment, rules, notify once) on loopback. The OS notification daemon cannot
// exist here: a recording notifier (a named test double for it) timestamps each call. Every result of
// the stream is critical, so every one is classified and notified: the worst case for the pipeline.
//
// Printed beside it: result → durable commit (the monitor's onAccepted), and the baseline measured in the
// same run: bare node:http writing SSE messages at the same rate to an eventsource-parser client (the
// floor that loopback, two processes and the timers impose). Latency start = the server's write instant
// (the notification event's timestamp, ms resolution; both processes read the same clock).
//
//   npm run bench:client:latency -- [--rate=200] [--seconds=30] [--warmup-seconds=3] [--contended]
//
// --contended runs everything with two busy processes spinning on the cores.
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { alertsCovered } from '../src-main/core/alerting/notification-text.ts';
import { silentLogger } from '../src-main/core/log.ts';
import { createMonitor } from '../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../src-main/core/monitor/topics.ts';
import type { AlertNotification, Notifier } from '../src-main/core/ports.ts';
import { loadRulesFile, staticRules } from '../src-main/core/rules/rules-holder.ts';
import { openClientStore } from '../src-main/core/store/client-store.ts';
import {
  commandLine,
  distribution,
  flagArg,
  machine,
  machineState,
  numberArg,
  out,
  percentile,
  sleep,
  startBusyProcesses,
  startServerChild,
  verdict,
  type ServerChild,
} from './client-lib.ts';

const RATE = numberArg('rate', 200);
const SECONDS = numberArg('seconds', 30);
const WARMUP = numberArg('warmup-seconds', 3);
const CONTENDED = flagArg('contended');
const TARGET = CONTENDED ? { p50: Number.POSITIVE_INFINITY, p99: 100 } : { p50: 10, p99: 50 };
const RULES = join(import.meta.dirname, '..', 'resources', 'rules', 'critical-values.json');

/** Test double for the OS notification daemon: records when each notification was asked for. */
function recordingNotifier(): Notifier & { calls: Array<{ at: number; n: AlertNotification }> } {
  const calls: Array<{ at: number; n: AlertNotification }> = [];
  return {
    calls,
    notify: async (n) => {
      calls.push({ at: Date.now(), n });
    },
  };
}

/** Bare node:http SSE at the same rate: the latency floor of loopback + two processes + timers. */
async function bareBaseline(server: ServerChild, seconds: number): Promise<number[]> {
  const { url } = await server.call({ cmd: 'bare-open' });
  const latencies: number[] = [];
  const controller = new AbortController();
  const response = await fetch(url ?? '', { signal: controller.signal });
  const reader = response.body?.getReader();
  if (!reader) throw new Error('bare SSE: no body');
  const parser = createParser({ onEvent: (e) => latencies.push(Date.now() - Number(e.data)) });
  const decoder = new TextDecoder();
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done || !value) return;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  })();
  await server.call({ cmd: 'bare-pace', perSecond: RATE, durationMs: seconds * 1000 });
  await sleep(200);
  controller.abort();
  await reading;
  return latencies;
}

async function monitorRun(server: ServerChild) {
  let token = (await server.call({ cmd: 'token' })).token ?? '';
  const store = openClientStore(join(server.dir, 'client.sqlite'));
  let measuring = false;
  const commitLatencies: number[] = [];
  let accepted = 0;
  const notifier = recordingNotifier();
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
    notifier,
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 30 }],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
    rules: staticRules(loadRulesFile(RULES)),
    onAccepted: (event) => {
      accepted += 1;
      if (measuring && event.occurredAt) commitLatencies.push(Date.now() - Date.parse(event.occurredAt));
    },
  });
  await monitor.start();
  for (let i = 0; i < 500 && monitor.health()[0]?.connection !== 'live'; i += 1) await sleep(10);
  out(`stream live; warm-up ${WARMUP} s at ${RATE}/s, then ${SECONDS} s measured`);
  await server.call({ cmd: 'pace', perSecond: RATE, durationMs: WARMUP * 1000 });
  await sleep(500);
  const callsBefore = notifier.calls.length;
  measuring = true;
  const before = accepted;
  const pacedStarted = Date.now();
  const paced = await server.call({ cmd: 'pace', perSecond: RATE, durationMs: SECONDS * 1000 });
  // Give the pipeline a bounded while to finish what was written (a backlog shows as missing).
  const coveredSince = () => notifier.calls.slice(callsBefore).flatMap(({ n }) => alertsCovered(n)).length;
  for (let i = 0; i < 100 && coveredSince() < (paced.count ?? 0); i += 1) await sleep(50);
  measuring = false;
  const notifyLatencies: number[] = [];
  let inSummaries = 0;
  for (const { at, n } of notifier.calls.slice(callsBefore)) {
    for (const id of alertsCovered(n)) {
      const alert = store.alerts.get(id);
      if (alert && Date.parse(alert.occurredAt) >= pacedStarted - 5) {
        notifyLatencies.push(at - Date.parse(alert.occurredAt));
        if (n.kind === 'summary') inSummaries += 1;
      }
    }
  }
  const enriched =
    store.db
      .prepare<[], { c: number }>("SELECT count(*) AS c FROM alerts WHERE fetch_status <> 'pending'")
      .get()?.c ?? 0;
  await monitor.stop();
  store.close();
  return {
    paced,
    committed: accepted - before,
    accepted,
    commitLatencies,
    notifyLatencies,
    inSummaries,
    enriched,
  };
}

async function main(): Promise<void> {
  out(
    `# client result → notification latency${CONTENDED ? ' (contended: two busy processes)' : ''} — ${machine()}`,
  );
  out(`command: ${commandLine('bench:client:latency')}`);
  out(`machine state before: ${machineState()}`);
  const busy = CONTENDED ? startBusyProcesses(2) : null;
  if (busy) out(`busy processes: pids ${busy.pids.join(', ')}`);
  const server = await startServerChild();
  try {
    const baseline = await bareBaseline(server, Math.min(SECONDS, 10));
    const run = await monitorRun(server);
    const missing = (run.paced.count ?? 0) - run.notifyLatencies.length;
    out(`machine state during: ${machineState()}`);
    out(
      `server wrote ${run.paced.count} critical results in ${((run.paced.ms ?? 0) / 1000).toFixed(1)} s ` +
        `(pacer max lag ${run.paced.maxLagMs?.toFixed(1)} ms); client committed ${run.committed}; ` +
        `${run.notifyLatencies.length} of them notified (${missing === 0 ? 'none missing' : `${missing} not notified in time`}; ` +
        `${run.inSummaries} of them in a notification for several that arrived together)`,
    );
    out(`baseline, bare node:http SSE → eventsource-parser, same rate: ${distribution(baseline)}`);
    out(`result → durable commit:           ${distribution(run.commitLatencies)}`);
    out(`result → OS notification call:     ${distribution(run.notifyLatencies)}`);
    const p50 = percentile(run.notifyLatencies, 50);
    const p99 = percentile(run.notifyLatencies, 99);
    const b50 = Math.max(1, percentile(baseline, 50));
    const b99 = Math.max(1, percentile(baseline, 99));
    out(
      `ratio to baseline (notification / bare, floor 1 ms): p50 ${(p50 / b50).toFixed(1)}×, p99 ${(p99 / b99).toFixed(1)}×`,
    );
    out(
      `  → ${CONTENDED ? '' : `p50 ${verdict(p50 <= TARGET.p50)} (≤ ${TARGET.p50} ms); `}` +
        `p99 ${verdict(p99 <= TARGET.p99 && missing === 0)} (≤ ${TARGET.p99} ms${CONTENDED ? ', contended' : ', idle'}; every result notified)`,
    );
    out(`  enrichment kept up: ${run.enriched} of ${run.accepted} alerts enriched at the end`);
  } finally {
    await server.stop();
    busy?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
