// Reconciliation by query, for subscriptions whose notifications cannot be replayed: plain search
// subscriptions (Medplum: no `$events`, no numbers, and the subscription dies with its socket) and
// servers whose numbers cannot be trusted (no-sequence mode). The topic's search is re-run for what
// changed after the last `lastUpdated` accounted for (reconcileStart: the sign-in the first time), page
// by page, and each resource version is committed once (de-duplicated by focus and `meta.versionId`
// across re-created subscriptions). What it finds is catch-up: summarised, never announced as live.
import { at, bundleResources, str, type FhirJsonResource } from '../../shared/fhir-json.ts';
import { fhirFetch } from '../fhir/fhir-client.ts';
import { recordCommit } from './ingest.ts';
import {
  advanceMark,
  reconciles,
  reportError,
  type FollowUps,
  type PipelineDeps,
  type SubscriptionState,
} from './state.ts';

const RECONCILE_DELAY_MS = 250;
/** Resources per page of a search by `_lastUpdated` (reconcileSearch asks for this many). */
export const PAGE_SIZE = 100;
/** Pages per run; a longer backlog continues at the next run (the mark has moved). */
const MAX_PAGES = 20;

/** The search for resources changed after `since` (or at it, `inclusive`), oldest first. */
export function reconcileSearch(query: string, since: string, inclusive = false): string {
  const separator = query.includes('?') ? '&' : '?';
  const bound = `${inclusive ? 'ge' : 'gt'}${encodeURIComponent(since)}`;
  return `${query}${separator}_lastUpdated=${bound}&_sort=_lastUpdated&_count=${PAGE_SIZE}`;
}

export interface ChangedResource {
  focus: string;
  occurredAt: string;
  version?: string;
}

/** A resource as an event: its reference, `meta.lastUpdated` and `meta.versionId`; null without the first two. */
export function changeOf(resource: FhirJsonResource): ChangedResource | null {
  const id = str(resource['id']);
  const lastUpdated = str(at(resource, 'meta', 'lastUpdated'));
  const version = str(at(resource, 'meta', 'versionId'));
  if (!id || !lastUpdated) return null;
  return {
    focus: `${resource.resourceType}/${id}`,
    occurredAt: lastUpdated,
    ...(version !== null ? { version } : {}),
  };
}

/** Each resource of a search Bundle as an event (changeOf); resources without an id or time are skipped. */
export function changedResources(bundle: unknown): ChangedResource[] {
  return bundleResources(bundle).flatMap((resource) => changeOf(resource) ?? []);
}

/** The newest `lastUpdated` of a page (ISO instants compared as time, not text). */
function newest(found: readonly ChangedResource[]): string | null {
  let best: string | null = null;
  for (const { occurredAt } of found) {
    if (!Number.isNaN(Date.parse(occurredAt)) && (best === null || Date.parse(occurredAt) > Date.parse(best)))
      best = occurredAt;
  }
  return best;
}

/** Run the reconciliation queries (page by page, by `lastUpdated`) and commit what changed. */
export async function reconcile(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
): Promise<void> {
  const query = sub.reconcileQuery;
  if (!query || !reconciles(sub)) return;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const since = sub.reconciledUntil;
    // Inclusive: a resource written in the same millisecond as the mark (the sign-in, the last page's
    // end) is read again rather than missed; versions already stored count as duplicates.
    const { status, body } = await fhirFetch(deps.access, reconcileSearch(query, since, true));
    if (status !== 200) throw new Error(`search answered ${status}`);
    const found = changedResources(body);
    if (found.length > 0) {
      const result = deps.store.commitUnsequenced(sub.record.key, sub.record.topic, found, 'recovery');
      recordCommit(deps, followUps, sub, result, 'recovery');
    }
    const last = newest(found);
    if (last !== null) advanceMark(deps, sub, last);
    // A short page is the end; a full page that did not move the mark (one instant shared by more
    // than a page of resources) cannot be paged by time any further.
    if (found.length < PAGE_SIZE || sub.reconciledUntil === since) break;
  }
  sub.caughtUp = true;
  deps.pushHealth();
}

/** Reconcile shortly (events often come in bursts); at most one query is pending per subscription. */
export function scheduleReconcile(deps: PipelineDeps, followUps: FollowUps, sub: SubscriptionState): void {
  if (sub.reconcileTimer || !sub.reconcileQuery || sub.stopping) return;
  sub.reconcileTimer = setTimeout(() => {
    sub.reconcileTimer = null;
    reconcile(deps, followUps, sub).catch((error: unknown) =>
      reportError(deps, sub, `reconciliation query failed: ${String(error)}`),
    );
  }, RECONCILE_DELAY_MS);
}
