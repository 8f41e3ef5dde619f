// Enrichment: a committed alert learns what it is about. The focus is read with the user's token
// (claim-check), classified by the active rules, and given its patient's identity (name, MRN, date of
// birth: patient-identity.ts) and, for urgent alerts, the bed and its ward; everything is stored in one
// transaction. A bounded queue runs a few batches at a time: each batch takes the alerts waiting when it
// starts (enrichment-batch.ts reads them together and stores them in one transaction).
//
// A focus that cannot be read for a transient reason (server restarting, a dropped connection, no
// token for now) is never given up on: the alert shows "Could not load", stays owed and is read again
// later (owed retries below, and at every start), until it is read or the server answers for good.
// On a critical topic such an alert is treated as possibly critical meanwhile: pinned, escalated and
// notified ("a result could not be checked"), never silence.
import type { AlertSummary, AlertTier, HostEvent, ResourceView } from '../../shared/api.ts';
import { readResourceWithRetry, type FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import { classifyResource } from '../rules/classify.ts';
import type { RulesHolder } from '../rules/rules-holder.ts';
import type { AlertClassification } from '../store/alert-store.ts';
import type { ClientStore } from '../store/client-store.ts';
import { isEncounter, placeOf, placeOfEncounter } from './bed-lookup.ts';
import { readPatientIdentity } from '../fhir/patient-identity.ts';

/** Batches in flight at once; each takes whatever is waiting when it starts (enrichment-batch.ts). */
const BATCH_CONCURRENCY = 2;
/**
 * Alerts per batch at most: one round of searches of 100 ids, all in flight together
 * (enrichment-batch.ts), and ONE transaction. A live batch holds what arrived during the previous one
 * (a few); a catch-up fills it, and each commit then covers 400 alerts instead of 100 (a quarter of
 * the commits; 100,000 missed alerts classified in 14.7–15.4 s instead of 16.4–21.8 s, alternating runs
 * of `npm run bench:client:replay`).
 */
export const BATCH_SIZE = 400;

export interface EnrichmentDeps {
  store: ClientStore;
  access: FhirAccess;
  fhirBase: string;
  rules: RulesHolder;
  /** Whether a tier raises an OS notification (a preference: read at each decision). */
  interrupts(tier: AlertTier): boolean;
  /** Whether an alert's topic carries critical results (an unreadable one is then possibly critical). */
  isCriticalTopic(topic: string): boolean;
  emit(event: HostEvent): void;
}

/** Pauses before an owed focus is read again: 15 s doubling to a minute, then every minute. */
export const OWED_RETRY_MS = { firstMs: 15_000, capMs: 60_000 } as const;

export function owedRetryDelayMs(
  attempts: number,
  retry: { firstMs: number; capMs: number } = OWED_RETRY_MS,
): number {
  return Math.min(retry.capMs, retry.firstMs * 2 ** Math.min(Math.max(attempts - 1, 0), 10));
}

/** A freshly enriched alert, and whether it should interrupt the user. */
export interface Enriched {
  alert: AlertSummary;
  interrupting: boolean;
}

/**
 * What the feed shows for a focus that could not be read; 'gone'/'forbidden' are never retried. A
 * `possiblyCritical` one (an error on a critical topic) is tiered critical until it is read.
 */
export function unreadable(view: ResourceView, possiblyCritical = false): AlertClassification {
  return {
    tier: possiblyCritical ? 'critical' : 'unclassified',
    headline:
      view.status === 'forbidden'
        ? 'Not permitted'
        : view.status === 'gone'
          ? 'No longer available'
          : possiblyCritical
            ? 'Could not load — possibly critical'
            : 'Could not load',
    reason: view.message ?? '',
    patientRef: null,
    patientName: null,
    location: null,
    fetchStatus: view.status === 'pending' ? 'error' : view.status,
  };
}

/** Whether an alert still waits for its focus: never read, or owed after a transient failure. */
export function awaitsFetch(alert: AlertSummary): boolean {
  return alert.fetch === 'pending' || (alert.fetchRetryAt ?? null) !== null;
}

/** Enrich one committed alert; null when there is nothing (more) to do for it. */
export async function enrichAlert(deps: EnrichmentDeps, id: string): Promise<Enriched | null> {
  const alert = deps.store.alerts.get(id);
  if (!alert || !awaitsFetch(alert)) return null;
  const { transient, ...view } = await readResourceWithRetry(deps.access, alert.focus);
  if (view.status !== 'ok' || !view.resource) return saveUnreadable(deps, alert, view, transient === true);
  const resource = view.resource;
  const { encounterRef, ...classification } = classifyResource(resource, deps.rules.current());
  const interrupting = classification.tier !== 'unclassified' && deps.interrupts(classification.tier);
  const urgent = classification.tier === 'critical' || classification.tier === 'high';
  const who = await readPatientIdentity(deps.access, deps.fhirBase, classification.patientRef);
  // A result's bed costs reads, spent on what is urgent; an encounter's bed is in the focus itself.
  const place = isEncounter(resource)
    ? await placeOfEncounter(deps.access, deps.fhirBase, resource)
    : urgent
      ? await placeOf(deps.access, deps.fhirBase, encounterRef)
      : null;
  const saved = deps.store.saveEnrichment(
    id,
    {
      ...classification,
      location: place?.bed ?? classification.location,
      ward: place?.ward ?? null,
      patientName: who?.name ?? null,
      patientMrn: who?.mrn ?? null,
      patientBirthDate: who?.birthDate ?? null,
      fetchStatus: 'ok',
    },
    interrupting,
    {
      fhirBase: deps.fhirBase,
      reference: alert.focus,
      resource,
    },
  );
  if (!saved) return null;
  deps.emit({ type: 'alert', alert: saved });
  return { alert: saved, interrupting };
}

/**
 * A focus that could not be read stays visible with the reason. A transient failure keeps the alert
 * owed (retried later); on a critical topic any error but "gone"/"forbidden" makes it possibly
 * critical, which interrupts like a critical result (notification-text.ts words it).
 */
function saveUnreadable(
  deps: EnrichmentDeps,
  alert: AlertSummary,
  view: ResourceView,
  transient: boolean,
): Enriched | null {
  const possiblyCritical = view.status === 'error' && deps.isCriticalTopic(alert.topic);
  const classification = unreadable(view, possiblyCritical);
  const interrupting = possiblyCritical && deps.interrupts('critical');
  const now = Date.now();
  const saved = transient
    ? deps.store.alerts.saveFetchOwed(
        alert.id,
        { ...classification, reason: `${classification.reason} — retrying` },
        now + owedRetryDelayMs(deps.store.alerts.fetchAttempts(alert.id) + 1),
        now,
      )
    : deps.store.saveEnrichment(alert.id, classification, interrupting, null);
  if (!saved) return null;
  deps.emit({ type: 'alert', alert: saved });
  return interrupting ? { alert: saved, interrupting } : null;
}

/** The bounded enrichment queue; an alert is queued or in flight at most once. */
export interface EnrichmentQueue {
  pending: string[];
  active: number;
  stopped: boolean;
  /** Ids queued or in flight. */
  queued: Set<string>;
  /** The timer that re-queues owed alerts when their retry time comes. */
  owedTimer: NodeJS.Timeout | null;
  owedAt: number | null;
}

export function createEnrichmentQueue(): EnrichmentQueue {
  return { pending: [], active: 0, stopped: false, queued: new Set(), owedTimer: null, owedAt: null };
}

export function queueIsIdle(queue: EnrichmentQueue): boolean {
  return queue.active === 0 && queue.pending.length === 0;
}

export interface QueueWork {
  /** Enrich (and notify) a batch of alerts. */
  run(ids: string[]): Promise<void>;
  /** Work finished or nothing started: the owner checks whether everything is idle. */
  settled(): void;
  logger: Logger;
}

/**
 * Start queued work up to the concurrency limit, a batch of what is waiting at a time (group
 * enrichment: what arrived while the previous batch ran goes together); each finished batch starts the
 * next.
 */
export function pumpQueue(queue: EnrichmentQueue, work: QueueWork): void {
  while (!queue.stopped && queue.active < BATCH_CONCURRENCY && queue.pending.length > 0) {
    const ids = queue.pending.splice(0, BATCH_SIZE);
    queue.active += 1;
    work
      .run(ids)
      .catch((error: unknown) =>
        work.logger.error({ alerts: ids.length, err: String(error) }, 'alert enrichment failed'),
      )
      .finally(() => {
        queue.active -= 1;
        for (const id of ids) queue.queued.delete(id);
        pumpQueue(queue, work);
        work.settled();
      });
  }
  work.settled();
}

export function enqueueEnrichment(queue: EnrichmentQueue, ids: readonly string[], work: QueueWork): void {
  for (const id of ids) {
    if (queue.queued.has(id)) continue;
    queue.queued.add(id);
    queue.pending.push(id);
  }
  pumpQueue(queue, work);
}

/**
 * Arm the owed-retry timer for the earliest owed alert (`nextAt`, epoch ms; null: none). When it fires,
 * `requeue` queues every owed alert that is due and arms it again.
 */
export function scheduleOwedRetry(queue: EnrichmentQueue, nextAt: number | null, requeue: () => void): void {
  if (queue.stopped) return;
  if (nextAt === null) {
    cancelOwedRetry(queue);
    return;
  }
  if (queue.owedTimer !== null && queue.owedAt !== null && queue.owedAt <= nextAt) return;
  cancelOwedRetry(queue);
  queue.owedAt = nextAt;
  queue.owedTimer = setTimeout(
    () => {
      queue.owedTimer = null;
      queue.owedAt = null;
      requeue();
    },
    Math.max(0, nextAt - Date.now()),
  );
  queue.owedTimer.unref();
}

export function cancelOwedRetry(queue: EnrichmentQueue): void {
  if (queue.owedTimer) clearTimeout(queue.owedTimer);
  queue.owedTimer = null;
  queue.owedAt = null;
}
