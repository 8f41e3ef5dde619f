// Batched enrichment: the alerts waiting when a batch starts are read together — searches of up to 100
// ids per focus type, a few in flight at once
// (`Observation?_id=a,b,c&_include=Observation:subject&_include=Observation:encounter`), bed names
// from a small cache (Locations read in one search when missing) — classified, and stored in ONE
// transaction. A burst of 200 results/s, or a catch-up of 100,000, costs a few requests and fsyncs per
// batch instead of 2–4 GETs and an fsync per alert.
//
// Nothing of the single-read rules is lost: a focus the search did not return (another ward, gone,
// forbidden), a failed search, a versioned or unusual focus, and every type without a batch form are
// read alone by enrichAlert, with its retries and the owed-until-read rule (enrichment.ts). A server
// that refuses the search form (4xx) is not asked again in this run.
import { field, str, type FhirJsonResource } from '../../shared/fhir-json.ts';
import { MAX_BATCH_IDS, readBatch } from '../fhir/batch-read.ts';
import { readResource } from '../fhir/fhir-client.ts';
import { resolveReference } from '../notifications/parse-bundle.ts';
import { classifyResource } from '../rules/classify.ts';
import { currentLocation, isEncounter, placeName, wardOf, type Place } from './bed-lookup.ts';
import { BATCH_SIZE, enrichAlert, type Enriched, type EnrichmentDeps } from './enrichment.ts';
import { identityOf, readPatientIdentity, type PatientIdentity } from '../fhir/patient-identity.ts';
import { cached, createReferenceCache, remember, type ReferenceCache } from './reference-cache.ts';

/** Focus types read in batches, with what comes along. Others are read alone. */
const BATCH_INCLUDES: Readonly<Record<string, readonly string[]>> = {
  Observation: ['Observation:subject', 'Observation:encounter'],
  MedicationRequest: ['MedicationRequest:subject', 'MedicationRequest:encounter'],
};
const BATCHABLE_FOCUS = /^(Observation|MedicationRequest)\/([A-Za-z0-9\-.]{1,64})$/;
/** Single reads run at most this many at a time inside one batch. */
const SINGLE_READ_CONCURRENCY = 4;
/** Searches of one batch in flight at once: a full batch is one round of them. */
const SEARCH_CONCURRENCY = Math.ceil(BATCH_SIZE / MAX_BATCH_IDS);

/** What batches remember across the run: refusals and the small caches. */
export interface BatchState {
  /** Focus types whose search form the server refused: read alone from now on. */
  refusedTypes: Set<string>;
  /** Patient identities (name, MRN, date of birth) by `Patient/id`. */
  patients: ReferenceCache<PatientIdentity>;
  /** Beds (the Location's name) and their wards by the bed's `Location/id`. */
  places: ReferenceCache<Place>;
}

export function createBatchState(): BatchState {
  return {
    refusedTypes: new Set(),
    patients: createReferenceCache(2_000, 5 * 60_000),
    places: createReferenceCache(2_000, 10 * 60_000),
  };
}

/** An alert of the batch still awaiting its read. */
interface Waiting {
  id: string;
  focus: string;
}

/** One alert whose focus the batch returned, ready to classify. */
interface Fetched {
  alert: Waiting;
  resource: FhirJsonResource;
  included: ReadonlyMap<string, FhirJsonResource>;
}

/** Enrich these alerts together; returns every freshly enriched alert (interrupting or not). */
export async function enrichBatch(
  deps: EnrichmentDeps,
  state: BatchState,
  ids: readonly string[],
): Promise<Enriched[]> {
  const alerts = deps.store.alerts.stillAwaitingFetch(ids);
  const byType = new Map<string, Waiting[]>();
  const alone: string[] = [];
  for (const alert of alerts) {
    const type = BATCHABLE_FOCUS.exec(alert.focus)?.[1];
    if (!type || state.refusedTypes.has(type)) {
      alone.push(alert.id);
      continue;
    }
    const group = byType.get(type);
    if (group) group.push(alert);
    else byType.set(type, [alert]);
  }
  const parts: Array<{ type: string; part: Waiting[] }> = [];
  for (const [type, group] of byType) {
    for (let i = 0; i < group.length; i += MAX_BATCH_IDS)
      parts.push({ type, part: group.slice(i, i + MAX_BATCH_IDS) });
  }
  const reads = await inPool(parts, SEARCH_CONCURRENCY, async ({ type, part }) => ({
    type,
    part,
    read: await readBatch(deps.access, type, part.map(focusId), BATCH_INCLUDES[type] ?? []),
  }));
  const fetched: Fetched[] = [];
  for (const { type, part, read } of reads) {
    if ('failed' in read) {
      if (read.refused) state.refusedTypes.add(type);
      alone.push(...part.map((a) => a.id));
      continue;
    }
    for (const alert of part) {
      const resource = read.matches.get(focusId(alert));
      if (resource) fetched.push({ alert, resource, included: read.included });
      else alone.push(alert.id);
    }
  }
  const saved = await saveFetched(deps, state, fetched);
  const single = await inPool(alone, SINGLE_READ_CONCURRENCY, (id) => enrichAlert(deps, id));
  return [...saved, ...single.filter((e): e is Enriched => e !== null)];
}

const focusId = (alert: Waiting): string => alert.focus.slice(alert.focus.indexOf('/') + 1);

/** One fetched alert, classified, with its patient's name and bed: what is stored for it. */
interface Prepared {
  item: Fetched;
  classification: Omit<ReturnType<typeof classifyResource>, 'encounterRef'>;
  interrupting: boolean;
  who: PatientIdentity | null;
  place: Place | null;
}

/** Classify what the batch returned, find names and beds, and store it all in one transaction. */
async function saveFetched(
  deps: EnrichmentDeps,
  state: BatchState,
  fetched: readonly Fetched[],
): Promise<Enriched[]> {
  const rules = deps.rules.current();
  const prepared: Prepared[] = [];
  for (const item of fetched) {
    const { encounterRef, ...classification } = classifyResource(item.resource, rules);
    const urgent = classification.tier === 'critical' || classification.tier === 'high';
    prepared.push({
      item,
      classification,
      interrupting: classification.tier !== 'unclassified' && deps.interrupts(classification.tier),
      who: await patientOf(deps, state, classification.patientRef, item.included),
      // A result's bed costs reads, spent on what is urgent; an encounter's bed is in the focus itself.
      place: isEncounter(item.resource)
        ? await placeOfCurrent(deps, state, item.resource)
        : urgent
          ? await placeAt(deps, state, encounterRef, item.included)
          : null,
    });
  }
  const stored = deps.store.saveEnrichments(
    prepared.map((p) => ({
      id: p.item.alert.id,
      classification: {
        ...p.classification,
        location: p.place?.bed ?? p.classification.location,
        ward: p.place?.ward ?? null,
        patientName: p.who?.name ?? null,
        patientMrn: p.who?.mrn ?? null,
        patientBirthDate: p.who?.birthDate ?? null,
        fetchStatus: 'ok',
      },
      interrupts: p.interrupting,
      resource: {
        fhirBase: deps.fhirBase,
        reference: p.item.alert.focus,
        resource: p.item.resource,
      },
    })),
  );
  const saved = stored.map((alert, i) =>
    alert ? { alert, interrupting: prepared[i]?.interrupting ?? false } : null,
  );
  const enriched = saved.filter((e): e is Enriched => e !== null);
  for (const e of enriched) deps.emit({ type: 'alert', alert: e.alert });
  return enriched;
}

/** Same-origin `Type/id` of a reference, or null (another server's is never read with this token). */
function relativeRef(deps: EnrichmentDeps, reference: string | null): string | null {
  if (!reference) return null;
  const resolved = resolveReference(reference, deps.fhirBase);
  return resolved?.sameOrigin ? resolved.relative : null;
}

/** The patient's identity: from the batch's includes, the cache, or (else) a single read. */
async function patientOf(
  deps: EnrichmentDeps,
  state: BatchState,
  patientRef: string | null,
  included: ReadonlyMap<string, FhirJsonResource>,
): Promise<PatientIdentity | null> {
  const ref = relativeRef(deps, patientRef);
  if (!ref) return null;
  const patient = included.get(ref);
  if (patient) {
    const who = identityOf(patient);
    remember(state.patients, ref, who);
    return who;
  }
  const known = cached(state.patients, ref);
  if (known !== undefined) return known;
  const who = await readPatientIdentity(deps.access, deps.fhirBase, ref);
  if (who) remember(state.patients, ref, who);
  return who;
}

/**
 * Where the patient is: the encounter from the includes (else read alone), its current bed and the
 * bed's ward from the cache, else read (placeOf's rules: a display on the encounter names the bed).
 */
async function placeAt(
  deps: EnrichmentDeps,
  state: BatchState,
  encounterRef: string | null,
  included: ReadonlyMap<string, FhirJsonResource>,
): Promise<Place | null> {
  const ref = relativeRef(deps, encounterRef);
  if (!ref) return null;
  return placeOfCurrent(deps, state, included.get(ref) ?? (await readResource(deps.access, ref)).resource);
}

/** An Encounter's current bed and the bed's ward (the bed from the cache, else read). */
async function placeOfCurrent(
  deps: EnrichmentDeps,
  state: BatchState,
  encounter: unknown,
): Promise<Place | null> {
  const current = currentLocation(encounter);
  if (!current) return null;
  const locationRef = relativeRef(deps, current.reference);
  const bed = locationRef ? await bedPlace(deps, state, locationRef) : { bed: null, ward: null };
  return { bed: placeName(current.display) ?? bed.bed, ward: bed.ward };
}

/** A bed Location's name and ward, cached; read when not known. */
async function bedPlace(deps: EnrichmentDeps, state: BatchState, locationRef: string): Promise<Place> {
  const known = cached(state.places, locationRef);
  if (known !== undefined) return known;
  const view = await readResource(deps.access, locationRef);
  const place: Place = {
    bed: placeName(str(field(view.resource, 'name'))),
    ward: await wardOf(deps.access, deps.fhirBase, view.resource),
  };
  if (view.status === 'ok') remember(state.places, locationRef, place);
  return place;
}

/** Run `task` over `items`, at most `limit` at a time; results in input order. */
async function inPool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
