// Client ingest rate: parse + validate + commit + rules, events/s, over a
// pre-generated in-memory SSE byte stream of id-only event-notification frames in the embedded
// server's bundle shape, side by side with bare eventsource-parser on the same bytes in the same run.
// Also: commit-only with synchronous=FULL vs NORMAL, one event per transaction vs one per chunk.
//
//   node bench/client-ingest.ts [--events=100000] [--chunk=16384] [--budget-ms=15000]
//
// Stages that fsync per event are bounded by --budget-ms (they stop early and report what they did).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { createSseDecoder } from '../src-main/core/channels/sse-decoder.ts';
import { sseMessageToFrame } from '../src-main/core/channels/sse-frames.ts';
import { resolveReference } from '../src-main/core/notifications/parse-bundle.ts';
import type { NotificationEvent } from '../src-main/core/notifications/types.ts';
import { classifyResource } from '../src-main/core/rules/classify.ts';
import { loadRulesFile } from '../src-main/core/rules/rules-holder.ts';
import {
  openClientStore,
  type ClientStore,
  type IncomingEvent,
} from '../src-main/core/store/client-store.ts';
import type { FhirResource } from '../src-main/server/base/types.ts';
import type { EventRecord, SubscriptionEntry } from '../src-main/server/subscriptions/engine.ts';
import { notificationBundle } from '../src-main/server/subscriptions/notification.ts';
import { TOPICS } from '../src-main/server/topics/definitions.ts';
import { commandLine, machine, machineState, now, numberArg, out, rate, verdict } from './client-lib.ts';

const N = numberArg('events', 100_000);
const CHUNK = numberArg('chunk', 16 * 1024);
const BUDGET_MS = numberArg('budget-ms', 15_000);
const TARGET = 20_000;
const FHIR_BASE = 'http://127.0.0.1:8080/fhir';
const SUB_ID = 'bench-subscription';

// ---- the byte stream ------------------------------------------------------------------------------
function buildStream(): { chunks: Uint8Array[]; bytes: number; topic: string } {
  const topic = TOPICS.find((t) => t.url.endsWith('/critical-lab-result')) ?? TOPICS[0];
  if (!topic) throw new Error('no topics');
  const entry: SubscriptionEntry = {
    config: {
      id: SUB_ID,
      topic,
      filters: [],
      channel: 'sse',
      payload: 'id-only',
      heartbeatPeriod: 30,
      status: 'active',
      end: null,
    },
    owner: 'nurse-a',
    labels: ['ward-a'],
  };
  const parts: string[] = ['retry: 2000\n\n'];
  const at = Date.now();
  for (let n = 1; n <= N; n += 1) {
    const event: EventRecord = {
      subscriptionId: SUB_ID,
      eventNumber: n,
      at: new Date(at + n).toISOString(),
      topic: topic.url,
      focusType: 'Observation',
      focusId: `obs-${n}-${'0'.repeat(24)}`.slice(0, 36),
      focusVersion: 1,
      interaction: 'create',
      labels: ['ward-a'],
    };
    const bundle = notificationBundle(
      { fhirBase: FHIR_BASE, entry, status: 'active', eventCount: n, loadFocus: () => null },
      'event-notification',
      [event],
    );
    parts.push(`event: event-notification\nid: ${n}\ndata: ${JSON.stringify(bundle)}\n\n`);
  }
  const all = new TextEncoder().encode(parts.join(''));
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, i + CHUNK));
  return { chunks, bytes: all.length, topic: topic.url };
}

// ---- stores --------------------------------------------------------------------------------------
const dirs: string[] = [];
function freshStore(synchronous: 'FULL' | 'NORMAL'): { store: ClientStore; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-client-ingest-'));
  dirs.push(dir);
  const store = openClientStore(join(dir, 'client.sqlite'));
  if (synchronous === 'NORMAL') store.db.pragma('synchronous = NORMAL');
  const record = store.saveSubscription({
    fhirBase: FHIR_BASE,
    remoteId: SUB_ID,
    topic: 'critical-lab-result',
    channel: 'sse',
    endpoint: `${FHIR_BASE}/Subscription/${SUB_ID}/$sse`,
    heartbeatSeconds: 30,
    owner: 'nurse-a',
  });
  return { store, key: record.key };
}

/** monitor.ts `toIncoming`, verbatim in behaviour (it is module-private there). */
function toIncoming(event: NotificationEvent): IncomingEvent | null {
  if (!/^\d{1,15}$/.test(event.eventNumber)) return null;
  const focus = event.focus ? resolveReference(event.focus, FHIR_BASE) : null;
  return {
    eventNumber: Number(event.eventNumber),
    focus: focus && focus.sameOrigin ? focus.relative : null,
    occurredAt: event.timestamp,
  };
}

// A critical potassium as the claim-check fetch returns it (cache hit): the rules input per event.
const RESOURCE: FhirResource = {
  resourceType: 'Observation',
  id: 'obs-1',
  meta: { versionId: '1', security: [{ system: 'http://alert-monitor.local/ward', code: 'ward-a' }] },
  status: 'final',
  category: [
    {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }],
    },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }], text: 'Potassium' },
  subject: { reference: 'Patient/p1' },
  encounter: { reference: 'Encounter/e1' },
  effectiveDateTime: new Date().toISOString(),
  valueQuantity: { value: 6.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  interpretation: [
    {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'HH' }],
    },
  ],
};
const rules = loadRulesFile(join(import.meta.dirname, '..', 'resources', 'rules', 'critical-values.json'));

interface StageResult {
  name: string;
  events: number;
  ms: number;
  note?: string;
}

const results: StageResult[] = [];
function record(result: StageResult): StageResult {
  results.push(result);
  out(
    `  ${result.name.padEnd(58)} ${rate(result.events, result.ms).padStart(14)}  (${result.events.toLocaleString('en-US')} ev in ${result.ms.toFixed(0)} ms${result.note ? `; ${result.note}` : ''})`,
  );
  return result;
}

// ---- stages ----------------------------------------------------------------------------------------
function bareParser(chunks: readonly Uint8Array[]): StageResult {
  let count = 0;
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  const parser = createParser({ onEvent: () => void (count += 1) });
  const t0 = now();
  for (const chunk of chunks) parser.feed(text.decode(chunk, { stream: true }));
  return record({
    name: 'bare eventsource-parser (TextDecoder + createParser)',
    events: count,
    ms: now() - t0,
  });
}

/** The validation baseline: the same frames' data, decoded the same way, with a bare JSON.parse. */
function bareJsonParse(chunks: readonly Uint8Array[]): StageResult {
  let count = 0;
  const decoder = createSseDecoder();
  const t0 = now();
  for (const chunk of chunks) {
    for (const item of decoder.feed(chunk).items) {
      if (item.type !== 'message') continue;
      const parsed: unknown = JSON.parse(item.message.data);
      if (parsed !== null) count += 1;
    }
  }
  return record({ name: 'decoder + bare JSON.parse of each frame', events: count, ms: now() - t0 });
}

function decoderOnly(chunks: readonly Uint8Array[]): StageResult {
  let count = 0;
  const decoder = createSseDecoder();
  const t0 = now();
  for (const chunk of chunks) count += decoder.feed(chunk).items.length;
  return record({ name: 'createSseDecoder (max buffer)', events: count, ms: now() - t0 });
}

function parseValidate(chunks: readonly Uint8Array[]): StageResult {
  let count = 0;
  const decoder = createSseDecoder();
  const t0 = now();
  for (const chunk of chunks) {
    for (const item of decoder.feed(chunk).items) {
      if (item.type !== 'message') continue;
      const mapped = sseMessageToFrame(item.message, Date.now());
      if (!mapped?.ok || mapped.frame.kind !== 'notification') continue;
      for (const e of mapped.frame.notification.events) if (toIncoming(e)) count += 1;
    }
  }
  return record({
    name: 'decoder + sseMessageToFrame (JSON + bundle validation)',
    events: count,
    ms: now() - t0,
  });
}

/**
 * The full client path per chunk: decode, map, validate, commit, rules on the committed events. `perChunk`
 * commits every event-notification of one chunk in one transaction instead of one per frame.
 */
async function pipeline(
  chunks: readonly Uint8Array[],
  topic: string,
  synchronous: 'FULL' | 'NORMAL',
  perChunk: boolean,
): Promise<StageResult> {
  const { store, key } = freshStore(synchronous);
  const decoder = createSseDecoder();
  const current = rules;
  let committed = 0;
  let classified = 0;
  // The channel awaits the pipeline's async onFrame per frame; keep that cost in.
  const onFrame = async (events: IncomingEvent[]): Promise<void> => {
    const result = store.commitEvents(key, topic, events, 'live');
    committed += result.accepted.length;
    for (const accepted of result.accepted) {
      if (accepted.focus && classifyResource(RESOURCE, current).tier === 'critical') classified += 1;
    }
  };
  const t0 = now();
  let stoppedEarly = false;
  for (const chunk of chunks) {
    const batch: IncomingEvent[] = [];
    for (const item of decoder.feed(chunk).items) {
      if (item.type !== 'message') continue;
      const mapped = sseMessageToFrame(item.message, Date.now());
      if (!mapped?.ok || mapped.frame.kind !== 'notification') continue;
      const incoming = mapped.frame.notification.events.map(toIncoming).filter((e) => e !== null);
      if (perChunk) batch.push(...incoming);
      else await onFrame(incoming);
    }
    if (perChunk && batch.length > 0) await onFrame(batch);
    if (now() - t0 > BUDGET_MS) {
      stoppedEarly = true;
      break;
    }
  }
  const ms = now() - t0;
  store.close();
  if (classified !== committed) throw new Error(`rules classified ${classified} of ${committed}`);
  return record({
    name: `parse+validate+commit+rules, ${synchronous}, ${perChunk ? 'one txn per chunk' : 'one txn per frame'}`,
    events: committed,
    ms,
    ...(stoppedEarly ? { note: `stopped at the ${BUDGET_MS / 1000} s budget` } : {}),
  });
}

function commitOnly(synchronous: 'FULL' | 'NORMAL', perTxn: number, topic: string): StageResult {
  const { store, key } = freshStore(synchronous);
  const at = new Date().toISOString();
  const t0 = now();
  let n = 0;
  let stoppedEarly = false;
  while (n < N) {
    const events: IncomingEvent[] = [];
    for (let i = 0; i < perTxn && n < N; i += 1) {
      n += 1;
      events.push({ eventNumber: n, focus: `Observation/obs-${n}`, occurredAt: at });
    }
    store.commitEvents(key, topic, events, 'live');
    if ((n & 63) === 0 && now() - t0 > BUDGET_MS) {
      stoppedEarly = true;
      break;
    }
  }
  const ms = now() - t0;
  store.close();
  return record({
    name: `commit only, ${synchronous}, ${perTxn} event(s)/txn`,
    events: n,
    ms,
    ...(stoppedEarly ? { note: `stopped at the ${BUDGET_MS / 1000} s budget` } : {}),
  });
}

async function main(): Promise<void> {
  out(`# client ingest — ${machine()}`);
  out(`command: ${commandLine('bench:client:ingest')}`);
  out(`machine state: ${machineState()}`);
  const t0 = now();
  const { chunks, bytes, topic } = buildStream();
  const perChunk = N / chunks.length;
  out(
    `stream: ${N.toLocaleString('en-US')} id-only event-notification frames, ${(bytes / 2 ** 20).toFixed(1)} MiB, ` +
      `${Math.round(bytes / N)} B/frame, ${chunks.length} chunks of ${CHUNK} B (≈${perChunk.toFixed(1)} frames/chunk); built in ${(now() - t0).toFixed(0)} ms`,
  );
  out('parsing (same bytes, same run):');
  const bare = bareParser(chunks);
  const decoded = decoderOnly(chunks);
  const json = bareJsonParse(chunks);
  const validated = parseValidate(chunks);
  out('full client path (store: WAL, per-stage fresh file):');
  const asIs = await pipeline(chunks, topic, 'FULL', false);
  const batched = await pipeline(chunks, topic, 'FULL', true);
  await pipeline(chunks, topic, 'NORMAL', false);
  await pipeline(chunks, topic, 'NORMAL', true);
  out('commit only (commitEvents: event + alert row + cursor):');
  commitOnly('FULL', 1, topic);
  commitOnly('NORMAL', 1, topic);
  commitOnly('FULL', Math.max(1, Math.round(perChunk)), topic);
  commitOnly('NORMAL', Math.max(1, Math.round(perChunk)), topic);
  out('summary:');
  const r = (s: StageResult): number => (s.events / s.ms) * 1000;
  // Time per frame beyond the decoder: validation (JSON + bundle checks) against a bare JSON.parse.
  const perFrame = (s: StageResult): number => s.ms / s.events - decoded.ms / decoded.events;
  const validationRatio = perFrame(validated) / perFrame(json);
  out(
    `  validation (sseMessageToFrame) / bare JSON.parse, per frame beyond the decoder = ${validationRatio.toFixed(2)}× ` +
      `(${(perFrame(validated) * 1000).toFixed(1)} µs vs ${(perFrame(json) * 1000).toFixed(1)} µs) → ${verdict(validationRatio <= 3)} (≤ 3×)`,
  );
  out(
    `  whole path incl. decoder: validation ${(r(json) / r(validated)).toFixed(2)}× slower than decoder + JSON.parse`,
  );
  out(`  bare parser / full path (one txn per frame, FULL)  = ${(r(bare) / r(asIs)).toFixed(1)}×`);
  out(`  bare parser / full path (one txn per chunk, FULL)  = ${(r(bare) / r(batched)).toFixed(1)}×`);
  out(
    `  target ≥ ${TARGET.toLocaleString('en-US')} ev/s: one txn per frame ${verdict(r(asIs) >= TARGET)}; one txn per chunk ${verdict(r(batched) >= TARGET)}`,
  );
  out(`machine state after: ${machineState()}`);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
