// Enrichment: a committed alert learns what it is about. The focus is read with the user's token
// (claim-check), classified by the active rules, and given its patient's identity (name, MRN, date of
// birth: patient-identity.ts) and, for urgent alerts, the bed and its ward; everything is stored in one
// transaction. A bounded queue runs a few enrichments at a time.
import type { AlertSummary, AlertTier, HostEvent, ResourceView } from '../../shared/api.ts';
import { readResource, type FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import { classifyResource } from '../rules/classify.ts';
import type { RulesHolder } from '../rules/rules-holder.ts';
import type { AlertClassification } from '../store/alert-store.ts';
import type { ClientStore } from '../store/client-store.ts';
import { placeOf } from './bed-lookup.ts';
import { readPatientIdentity } from './patient-identity.ts';

const ENRICH_CONCURRENCY = 4;

export interface EnrichmentDeps {
  store: ClientStore;
  access: FhirAccess;
  fhirBase: string;
  rules: RulesHolder;
  /** Whether a tier raises an OS notification (a preference: read at each decision). */
  interrupts(tier: AlertTier): boolean;
  emit(event: HostEvent): void;
}

/** A freshly enriched alert, and whether it should interrupt the user. */
export interface Enriched {
  alert: AlertSummary;
  interrupting: boolean;
}

/** What the feed shows for a focus that could not be read; 'gone'/'forbidden' are never retried. */
export function unreadable(view: ResourceView): AlertClassification {
  return {
    tier: 'unclassified',
    headline:
      view.status === 'forbidden'
        ? 'Not permitted'
        : view.status === 'gone'
          ? 'No longer available'
          : 'Could not load',
    reason: view.message ?? '',
    patientRef: null,
    patientName: null,
    location: null,
    fetchStatus: view.status === 'pending' ? 'error' : view.status,
  };
}

/** Enrich one committed alert; null when there is nothing (more) to do for it. */
export async function enrichAlert(deps: EnrichmentDeps, id: string): Promise<Enriched | null> {
  const alert = deps.store.alerts.get(id);
  if (!alert || alert.fetch !== 'pending') return null;
  const view = await readResource(deps.access, alert.focus);
  if (view.status !== 'ok' || !view.resource) {
    // Stays visible in the feed with the reason.
    const saved = deps.store.saveEnrichment(id, unreadable(view), false, null);
    if (saved) deps.emit({ type: 'alert', alert: saved });
    return null;
  }
  const resource = view.resource;
  const { encounterRef, ...classification } = classifyResource(resource, deps.rules.current());
  const interrupting = classification.tier !== 'unclassified' && deps.interrupts(classification.tier);
  const urgent = classification.tier === 'critical' || classification.tier === 'high';
  const who = await readPatientIdentity(deps.access, deps.fhirBase, classification.patientRef);
  const place = urgent ? await placeOf(deps.access, deps.fhirBase, encounterRef) : null;
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
      versionId: resource.meta?.versionId ?? null,
      json: JSON.stringify(resource),
    },
  );
  if (!saved) return null;
  deps.emit({ type: 'alert', alert: saved });
  return { alert: saved, interrupting };
}

/** The bounded enrichment queue. */
export interface EnrichmentQueue {
  pending: string[];
  active: number;
  stopped: boolean;
}

export function createEnrichmentQueue(): EnrichmentQueue {
  return { pending: [], active: 0, stopped: false };
}

export function queueIsIdle(queue: EnrichmentQueue): boolean {
  return queue.active === 0 && queue.pending.length === 0;
}

export interface QueueWork {
  /** Enrich (and notify) one alert. */
  run(id: string): Promise<void>;
  /** Work finished or nothing started: the owner checks whether everything is idle. */
  settled(): void;
  logger: Logger;
}

/** Start queued work up to the concurrency limit; each finished item starts the next. */
export function pumpQueue(queue: EnrichmentQueue, work: QueueWork): void {
  while (!queue.stopped && queue.active < ENRICH_CONCURRENCY && queue.pending.length > 0) {
    const id = queue.pending.shift();
    if (!id) break;
    queue.active += 1;
    work
      .run(id)
      .catch((error: unknown) =>
        work.logger.error({ alertId: id, err: String(error) }, 'alert enrichment failed'),
      )
      .finally(() => {
        queue.active -= 1;
        pumpQueue(queue, work);
        work.settled();
      });
  }
  work.settled();
}

export function enqueueEnrichment(queue: EnrichmentQueue, ids: readonly string[], work: QueueWork): void {
  queue.pending.push(...ids);
  pumpQueue(queue, work);
}
