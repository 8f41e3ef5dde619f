// What a catch-up writes, on the workstation store alone (no network, no parsing): the same 100,000
// critical alerts through each write a catch-up makes — the event commit (event, alert row, cursor),
// the enrichment (classification and the cached part of the result, 400 per transaction), the offline
// summary's claim and its mark — with the time and the WAL pages of each. Automatic checkpoints are off
// so the log can be counted (each phase is checkpointed and counted after it); the baseline is a bare
// SQLite insert of the same number of ≈1 KiB rows in the same run.
//
//   npm run bench:client:store -- [--events=100000] [--per-commit=100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FhirJsonResource } from '../src-main/shared/fhir-json.ts';
import {
  openClientStore,
  type ClientStore,
  type IncomingEvent,
} from '../src-main/core/store/client-store.ts';
import { commandLine, machine, machineState, now, numberArg, out } from './client-lib.ts';
import { bareSqliteInsert } from './replay-baselines.ts';
import { potassiumResult } from '../scripts/interop/lab.ts';

const EVENTS = numberArg('events', 100_000);
const PER_COMMIT = numberArg('per-commit', 100);
/** As the monitor's enrichment batches (src-main/core/monitor/enrichment.ts BATCH_SIZE). */
const PER_BATCH = 400;
const FHIR_BASE = 'http://127.0.0.1:1/fhir';
const FOCUS_PREFIX = 'Observation/3f0c1a2e-4b5d-4c6e-8f90-123456789abc-';

/** A critical potassium result (the interop run's, scripts/interop/lab.ts) as a server returns it. */
function result(n: number): FhirJsonResource {
  return {
    ...potassiumResult('Patient/p-12', 6.8),
    resourceType: 'Observation',
    id: `${FOCUS_PREFIX.slice('Observation/'.length)}${n}`,
    meta: {
      versionId: '1',
      lastUpdated: '2026-12-01T10:00:00Z',
      security: [{ system: 'http://example.org/fhir/CodeSystem/ward', code: 'ward-a' }],
    },
    encounter: { reference: 'Encounter/e-12' },
  };
}

interface Phase {
  name: string;
  ms: number;
  walPages: number;
  transactions: number;
}

/** Checkpoint the log and return how many pages it held: what the phase before wrote. */
function walPagesWritten(store: ClientStore): number {
  const [passive] = store.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  return passive?.log ?? 0;
}

function timed(store: ClientStore, name: string, transactions: number, work: () => void): Phase {
  const t0 = now();
  work();
  const ms = now() - t0;
  return { name, ms, walPages: walPagesWritten(store), transactions };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

function main(): void {
  out(`# client store writes of a catch-up — ${machine()}`);
  out(`command: ${commandLine('bench:client:store')}`);
  out(`machine state: ${machineState()}`);
  const dir = mkdtempSync(join(tmpdir(), 'store-writes-'));
  try {
    const bare = bareSqliteInsert(join(dir, 'bare.sqlite'), EVENTS, PER_COMMIT);
    out(
      `baseline: bare SQLite insert (WAL, FULL, ${PER_COMMIT} rows/txn, ≈1 KiB rows): ${bare.toFixed(0)} ms`,
    );
    const store = openClientStore(join(dir, 'monitor.sqlite'));
    store.db.pragma('wal_autocheckpoint = 0');
    const sub = store.saveSubscription({
      fhirBase: FHIR_BASE,
      remoteId: 'sub-1',
      topic: 'http://example.org/fhir/SubscriptionTopic/critical-lab-result',
      channel: 'sse',
      endpoint: `${FHIR_BASE}/Subscription/sub-1/$sse`,
      heartbeatSeconds: 30,
      owner: 'Practitioner/nurse-a',
    });
    const events: IncomingEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
      eventNumber: i + 2,
      focus: `${FOCUS_PREFIX}${i + 2}`,
      occurredAt: '2026-12-01T10:00:00Z',
    }));
    const ids: string[] = [];
    const commits = chunks(events, PER_COMMIT);
    const phases: Phase[] = [
      timed(store, `event commit (${PER_COMMIT} per transaction)`, commits.length, () => {
        for (const part of commits)
          ids.push(...store.commitEvents(sub.key, sub.topic, part, 'replay').alertIds);
      }),
    ];
    const resources = ids.map((_, i) => result(i + 2));
    const batches = chunks(
      ids.map((id, i) => ({ id, resource: resources[i] as FhirJsonResource })),
      PER_BATCH,
    );
    phases.push(
      timed(store, `enrichment (${PER_BATCH} per transaction)`, batches.length, () => {
        for (const batch of batches)
          store.saveEnrichments(
            batch.map(({ id, resource }) => ({
              id,
              interrupts: true,
              classification: {
                tier: 'critical',
                headline: 'Potassium 6.8 mmol/L',
                reason: 'K 6.8 mmol/L > 6.2 (critical high)',
                patientRef: 'Patient/p-12',
                patientName: 'Jane Example',
                patientMrn: 'MRN-0012',
                patientBirthDate: '1950-01-01',
                location: 'Bed 12',
                ward: 'Ward A',
                fetchStatus: 'ok',
                summary: 'K 6.8 mmol/L > 6.2',
                ruleId: 'threshold:potassium-high',
              },
              resource: { fhirBase: FHIR_BASE, reference: `Observation/${resource.id ?? ''}`, resource },
            })),
          );
      }),
    );
    const summaries = chunks(ids, PER_BATCH);
    phases.push(
      timed(store, 'summary claim (pending → notifying)', summaries.length, () => {
        for (const part of summaries)
          store.db.transaction(() => part.filter((id) => store.alerts.claimNotification(id)))();
      }),
      timed(store, 'summary mark (notifying → summarised)', summaries.length, () => {
        for (const part of summaries)
          store.db.transaction(() => {
            for (const id of part) store.alerts.markSummarised(id, Date.now());
          })();
      }),
    );
    const summarised = store.db
      .prepare<[], { n: number }>("SELECT count(*) AS n FROM alerts WHERE notify_state = 'summarised'")
      .get()?.n;
    store.close();
    if (summarised !== EVENTS) throw new Error(`expected ${EVENTS} alerts summarised, found ${summarised}`);
    let totalMs = 0;
    for (const phase of phases) {
      totalMs += phase.ms;
      out(
        `  ${phase.name}: ${phase.ms.toFixed(0)} ms, ${phase.walPages.toLocaleString('en-US')} WAL pages ` +
          `(${(phase.walPages / phase.transactions).toFixed(1)} per transaction, ` +
          `${(phase.walPages / EVENTS).toFixed(2)} per alert)`,
      );
    }
    out(
      `all writes of ${EVENTS.toLocaleString('en-US')} alerts: ${totalMs.toFixed(0)} ms = ${(totalMs / bare).toFixed(1)}× the bare insert`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
