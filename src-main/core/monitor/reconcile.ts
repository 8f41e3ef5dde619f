// Polling reconciliation, for servers whose notifications carry no usable event numbers or ids
// (no-sequence mode): re-query the topic's resources changed since the last look (`_lastUpdated`) and
// commit each as an unsequenced event, de-duplicated by (resource, time).
import { at, bundleResources, str } from '../../shared/fhir-json.ts';
import { fhirFetch } from '../fhir/fhir-client.ts';
import { recordCommit } from './ingest.ts';
import { reportError, type FollowUps, type PipelineDeps, type SubscriptionState } from './state.ts';

const RECONCILE_DELAY_MS = 250;

/** The search for resources changed after `since`, oldest first. */
export function reconcileSearch(query: string, since: string): string {
  const separator = query.includes('?') ? '&' : '?';
  return `${query}${separator}_lastUpdated=gt${encodeURIComponent(since)}&_sort=_lastUpdated&_count=100`;
}

/** Each resource of a search Bundle as an event: its reference and its `meta.lastUpdated`. */
export function changedResources(bundle: unknown): Array<{ focus: string; occurredAt: string }> {
  const found: Array<{ focus: string; occurredAt: string }> = [];
  for (const resource of bundleResources(bundle)) {
    const id = str(resource['id']);
    const lastUpdated = str(at(resource, 'meta', 'lastUpdated'));
    if (id && lastUpdated) found.push({ focus: `${resource.resourceType}/${id}`, occurredAt: lastUpdated });
  }
  return found;
}

/** Run one reconciliation query and commit what changed. */
export async function reconcile(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
): Promise<void> {
  const query = sub.reconcileQuery;
  if (!query) return;
  const { status, body } = await fhirFetch(deps.access, reconcileSearch(query, sub.reconciledUntil));
  if (status !== 200) throw new Error(`search answered ${status}`);
  const found = changedResources(body);
  for (const { occurredAt } of found) {
    if (occurredAt > sub.reconciledUntil) sub.reconciledUntil = occurredAt;
  }
  if (found.length > 0) {
    const result = deps.store.commitUnsequenced(sub.record.key, sub.record.topic, found, 'recovery');
    recordCommit(deps, followUps, sub, result, 'recovery');
  }
  deps.pushHealth();
}

/** Reconcile shortly (events often come in bursts); at most one query is pending per subscription. */
export function scheduleReconcile(deps: PipelineDeps, followUps: FollowUps, sub: SubscriptionState): void {
  if (sub.reconcileTimer || !sub.reconcileQuery) return;
  sub.reconcileTimer = setTimeout(() => {
    sub.reconcileTimer = null;
    reconcile(deps, followUps, sub).catch((error: unknown) =>
      reportError(deps, sub, `reconciliation query failed: ${String(error)}`),
    );
  }, RECONCILE_DELAY_MS);
}
