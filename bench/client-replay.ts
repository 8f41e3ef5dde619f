// Replay catch-up: a real embedded server (child process) holds 100,000
// events the client missed, each about its own critical result; the client store's cursor is at event 1.
// Time from connect (Last-Event-ID) to the last event committed (durable) and to the last alert
// classified (enriched: read with the user's token, rules, stored), through the real SSE channel on
// loopback. Baselines of the same volume in the same run: a bare SQLite insert (one table, WAL, FULL,
// 100 rows per transaction) and a bare HTTP search (the same 100,000 results fetched by `_id` lists of
// 100, bodies read, nothing done with them).
//
//   npm run bench:client:replay -- [--events=100000] [--budget-ms=60000]
//
// Two runs over the same server log, each with a fresh client store at cursor 1:
//   A. commit path: createSseChannel + sseMessageToFrame + commitEvents (what monitor.ts does in the
//      channel's awaited onFrame), no claim-check enrichment;
//   B. the whole monitor (createMonitor): the same commit path plus batched enrichment (search of the
//      waiting foci with their patients and encounters, rules, one transaction per batch, the offline
//      summary) competing for the same event loop.
import { join } from 'node:path';
import type { HostEvent } from '../src-main/shared/api.ts';
import { bareHttpSearch, bareSqliteInsert } from './replay-baselines.ts';
import { createSseChannel } from '../src-main/core/channels/sse-channel.ts';
import type { ChannelFrame } from '../src-main/core/channels/types.ts';
import { silentLogger } from '../src-main/core/log.ts';
import { createMonitor } from '../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../src-main/core/monitor/topics.ts';
import { resolveReference } from '../src-main/core/notifications/parse-bundle.ts';
import { loadRulesFile, staticRules } from '../src-main/core/rules/rules-holder.ts';
import {
  openClientStore,
  type ClientStore,
  type EventSource,
  type IncomingEvent,
  type SubscriptionRecord,
} from '../src-main/core/store/client-store.ts';
import {
  commandLine,
  machine,
  machineState,
  now,
  numberArg,
  out,
  rate,
  sleep,
  startServerChild,
  verdict,
  type ServerChild,
} from './client-lib.ts';

const MISSED = numberArg('events', 100_000);
const BUDGET_MS = numberArg('budget-ms', 60_000);
const TARGET_MS = 5_000;
const RULES = join(import.meta.dirname, '..', 'resources', 'rules', 'critical-values.json');

interface Session {
  fhirBase: string;
  fhirUser: string | null;
  accessToken(): Promise<string>;
  refreshNow(reason: string): Promise<void>;
  tokenExpiresAt(): number | null;
}

async function sessionFor(server: ServerChild): Promise<Session> {
  let token = (await server.call({ cmd: 'token' })).token ?? '';
  return {
    fhirBase: server.fhirBase,
    fhirUser: 'Practitioner/nurse-a',
    accessToken: async () => token,
    refreshNow: async () => {
      token = (await server.call({ cmd: 'token' })).token ?? '';
    },
    tokenExpiresAt: () => Date.now() + 3 * 3600_000,
  };
}

function startMonitor(
  store: ClientStore,
  session: Session,
  onAccepted: (n: number) => void,
  emit: (event: HostEvent) => void = () => undefined,
) {
  return createMonitor({
    store,
    session,
    notifier: { notify: async () => undefined },
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 30 }],
    emit,
    onHealthChange: () => undefined,
    logger: silentLogger(),
    rules: staticRules(loadRulesFile(RULES)),
    onAccepted: (event) => onAccepted(event.eventNumber),
  });
}

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) {
      out(`  (gave up waiting for ${what} after ${timeoutMs} ms)`);
      return false;
    }
    await sleep(2);
  }
  return true;
}

/** A client store that already holds event 1 of `record`'s subscription (cursor 1). */
function storeAtCursorOne(path: string, record: SubscriptionRecord): ClientStore {
  const store = openClientStore(path);
  const { key, cursor: _c, sequenceMode: _s, ...rest } = record;
  store.saveSubscription(rest);
  store.commitEvents(key, record.topic, [{ eventNumber: 1, focus: null, occurredAt: null }], 'live');
  return store;
}

async function commitPath(server: ServerChild, session: Session, record: SubscriptionRecord, last: number) {
  const store = storeAtCursorOne(join(server.dir, 'client-a.sqlite'), record);
  let committed = 0;
  let lastNumber = 1;
  let firstAt = 0;
  let replayUntil = store.getCursor(record.key);
  const chunkFrames: number[] = [];
  const onFrame = async (frame: ChannelFrame): Promise<void> => {
    if (frame.kind !== 'notification') return;
    const n = frame.notification;
    if (n.type === 'handshake') replayUntil = Number(n.eventsSinceSubscriptionStart ?? '0');
    if (n.type !== 'event-notification') return;
    const source: EventSource = n.events.every((e) => Number(e.eventNumber) <= replayUntil)
      ? 'replay'
      : 'live';
    const incoming: IncomingEvent[] = [];
    for (const e of n.events) {
      const focus = e.focus ? resolveReference(e.focus, session.fhirBase) : null;
      incoming.push({
        eventNumber: Number(e.eventNumber),
        focus: focus?.sameOrigin ? focus.relative : null,
        occurredAt: e.timestamp,
      });
    }
    const result = store.commitEvents(record.key, record.topic, incoming, source);
    if (source !== 'live') store.closeFilledGaps(record.key);
    if (committed === 0) firstAt = now();
    committed += result.accepted.length;
    chunkFrames.push(n.events.length);
    lastNumber = result.cursor;
  };
  const t0 = now();
  const channel = createSseChannel({
    url: record.endpoint ?? '',
    getAccessToken: () => session.accessToken(),
    getCursor: () => String(store.getCursor(record.key)),
    heartbeatSeconds: 30,
    callbacks: {
      onFrame,
      onState: () => undefined,
      onError: (message) => out(`  channel error: ${message}`),
      onUnauthorized: async () => false,
    },
  });
  channel.start();
  const done = await until(() => lastNumber >= last, 'the last replayed event', BUDGET_MS);
  const ms = now() - t0;
  await channel.stop();
  store.close();
  const eventsPerCommit = committed / Math.max(1, chunkFrames.length);
  out(
    `  A. commit path (channel + parse + commitEvents), FULL: ${committed.toLocaleString('en-US')} events in ${ms.toFixed(0)} ms ` +
      `= ${rate(committed, ms)}; first event committed ${(firstAt - t0).toFixed(0)} ms after connect; ` +
      `${eventsPerCommit.toFixed(1)} events/transaction${done ? '' : ' (INCOMPLETE: budget reached)'}`,
  );
  out(
    `     → ${verdict(done && ms <= TARGET_MS)} (≤ ${TARGET_MS / 1000} s for ${MISSED.toLocaleString('en-US')})`,
  );
  return { ms, committed, done };
}

async function wholeMonitor(server: ServerChild, session: Session, record: SubscriptionRecord, last: number) {
  const store = storeAtCursorOne(join(server.dir, 'client-b.sqlite'), record);
  let lastNumber = 1;
  let committed = 0;
  const classified = new Set<string>();
  const monitor = startMonitor(
    store,
    session,
    (n) => {
      committed += 1;
      lastNumber = Math.max(lastNumber, n);
    },
    (event) => {
      if (event.type === 'alert' && event.alert.fetch !== 'pending') classified.add(event.alert.id);
    },
  );
  const t0 = now();
  await monitor.start();
  const done = await until(() => lastNumber >= last, 'the last replayed event', BUDGET_MS);
  const ms = now() - t0;
  const classifiedByCommit = classified.size;
  const allClassified = await until(
    () => classified.size >= MISSED,
    'every alert classified',
    Math.max(1, BUDGET_MS - ms),
  );
  const classifiedMs = now() - t0;
  const critical =
    store.db.prepare<[], { c: number }>("SELECT count(*) AS c FROM alerts WHERE tier = 'critical'").get()
      ?.c ?? 0;
  await monitor.stop();
  store.close();
  out(
    `  B. whole monitor (commit + batched enrichment), FULL: ${committed.toLocaleString('en-US')} events committed in ${ms.toFixed(0)} ms ` +
      `= ${rate(committed, ms)}${done ? '' : ' (INCOMPLETE: budget reached)'}; ${classifiedByCommit.toLocaleString('en-US')} classified by then`,
  );
  out(
    `     durable AND classified: ${classified.size.toLocaleString('en-US')} alerts (${critical.toLocaleString('en-US')} critical) in ${classifiedMs.toFixed(0)} ms ` +
      `= ${Math.round((classified.size / classifiedMs) * 1000).toLocaleString('en-US')} alerts/s${allClassified ? '' : ' (INCOMPLETE: budget reached)'}`,
  );
  out(
    `     → ${verdict(done && allClassified && classifiedMs <= TARGET_MS)} (≤ ${TARGET_MS / 1000} s for ${MISSED.toLocaleString('en-US')} durable and classified)`,
  );
  return { ms, committed, done, classifiedMs, allClassified };
}

async function main(): Promise<void> {
  out(`# client replay catch-up — ${machine()}`);
  out(`command: ${commandLine('bench:client:replay')}`);
  const server = await startServerChild();
  try {
    const session = await sessionFor(server);
    // Create the subscription and commit one real event live (cursor 1), then go offline.
    const setupPath = join(server.dir, 'client-setup.sqlite');
    const setup = openClientStore(setupPath);
    let seen = 0;
    const monitor = startMonitor(setup, session, () => void (seen += 1));
    await monitor.start();
    await until(() => monitor.health()[0]?.connection === 'live', 'a live stream', 10_000);
    await server.call({ cmd: 'emit', count: 1 });
    await until(() => seen === 1, 'the first live event', 10_000);
    await monitor.stop();
    const firstAlert = setup.alerts.list(1)[0];
    const record = firstAlert ? setup.getSubscription(firstAlert.subscriptionKey) : null;
    const firstFocus = firstAlert?.focus ?? '';
    setup.close();
    if (!record) throw new Error('no subscription record');
    const last = MISSED + 1;
    const seeded = await server.call({ cmd: 'seed-distinct', subscriptionId: record.remoteId, total: last });
    out(
      `server log: ${seeded.count?.toLocaleString('en-US')} events, each about its own critical result (event 1 live, 2…${last} copied in ${seeded.ms?.toFixed(0)} ms; not timed); ` +
        `client cursor 1 → ${MISSED.toLocaleString('en-US')} missed events; one event per SSE frame (server's shape)`,
    );
    out(`machine state: ${machineState()}`);
    out('baselines, same volume, same run:');
    const focusId = firstFocus.slice(firstFocus.indexOf('/') + 1);
    const ids = Array.from({ length: MISSED }, (_, i) => `${focusId}-${i + 2}`);
    const insert = bareSqliteInsert(join(server.dir, 'bare.sqlite'), MISSED, 100);
    out(
      `  bare SQLite insert (WAL, FULL, 100 rows/txn, ≈1 KiB rows): ${insert.toFixed(0)} ms = ${rate(MISSED, insert)}`,
    );
    const searched = await bareHttpSearch(
      server.fhirBase,
      await session.accessToken(),
      'Observation',
      ids,
      100,
    );
    out(
      `  bare HTTP search (Observation?_id=<100 ids>, bodies read): ${searched.toFixed(0)} ms = ${rate(MISSED, searched)}`,
    );
    out('client:');
    await commitPath(server, session, record, last);
    const whole = await wholeMonitor(server, session, record, last);
    out(`machine state after: ${machineState()}`);
    out(
      `ratio: durable and classified / bare insert = ${(whole.classifiedMs / insert).toFixed(1)}×; / bare search = ${(whole.classifiedMs / searched).toFixed(1)}×; ` +
        `/ (insert + search) = ${(whole.classifiedMs / (insert + searched)).toFixed(1)}×`,
    );
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
