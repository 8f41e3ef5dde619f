// Later news about a result that already has an alert. A clinician expects an updated result to be the
// same alert showing the new value (not a second alert), and a result the laboratory withdrew (deleted,
// or marked entered-in-error) to say so (not a "No longer available" row, and no longer pinned or
// escalating). The notification alone cannot tell which happened: Medplum notifies a delete with the
// last version, unchanged. So the focus is read again, and what the server holds now decides.
import { at, str } from '../../shared/fhir-json.ts';
import { readResource, type FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { ClientStore } from '../store/client-store.ts';

/** Statuses by which a source withdraws a result or an order. */
const WITHDRAWN = new Set(['entered-in-error', 'cancelled']);

export interface RecheckDeps {
  store: ClientStore;
  access: FhirAccess;
  fhirBase: string;
  logger: Logger;
  /**
   * The source withdrew the alert's result: push it to the renderer and take its OS notification back
   * (a lock screen must not keep asking about a result the laboratory took back).
   */
  withdrawn(alertId: string): void;
  /** The alert was revised: enrich it again with the new version. */
  enrich(alertIds: readonly string[]): void;
}

/** How a withdrawn alert reads: results come from the laboratory, anything else from its source. */
function withdrawnHeadline(focus: string): string {
  return /^(Observation|DiagnosticReport)\//.test(focus)
    ? 'Withdrawn by the laboratory (entered in error)'
    : 'Withdrawn at the source (entered in error)';
}

export type RecheckOutcome = 'withdrawn' | 'revised' | 'unchanged' | 'unreadable' | 'skipped';

/** Read an alert's focus again and act on what changed. Never throws. */
export async function recheckAlert(deps: RecheckDeps, alertId: string): Promise<RecheckOutcome> {
  const alert = deps.store.alerts.get(alertId);
  if (!alert) return 'skipped';
  const view = await readResource(deps.access, alert.focus);
  const now = Date.now();
  if (view.status === 'gone') {
    const why = 'the result was deleted at the source';
    if (deps.store.alerts.withdraw(alertId, withdrawnHeadline(alert.focus), why, now))
      deps.withdrawn(alertId);
    return 'withdrawn';
  }
  if (view.status !== 'ok' || !view.resource) {
    // Forbidden: nothing this user may learn. A transient error keeps the mark for the next start.
    if (view.status === 'forbidden') deps.store.alerts.clearRecheck(alertId);
    deps.logger.warn({ alertId, status: view.status }, 'a changed result could not be read again');
    return 'unreadable';
  }
  const status = str(view.resource['status']);
  if (status !== null && WITHDRAWN.has(status)) {
    const withdrawn = deps.store.alerts.withdraw(
      alertId,
      withdrawnHeadline(alert.focus),
      `the result is now ${status}`,
      now,
    );
    if (withdrawn) deps.withdrawn(alertId);
    return 'withdrawn';
  }
  const version = str(at(view.resource, 'meta', 'versionId'));
  const known = deps.store.cachedResource(deps.fhirBase, alert.focus)?.version_id ?? null;
  if (version !== null && version === known) {
    deps.store.alerts.clearRecheck(alertId);
    return 'unchanged';
  }
  if (deps.store.alerts.revise(alertId, version ? `version ${version}` : 'a newer version', now)) {
    deps.enrich([alertId]);
    return 'revised';
  }
  deps.store.alerts.clearRecheck(alertId);
  return 'unchanged';
}

/** Rechecks run one at a time, in order; `idle` resolves the owner's wait when the last one ends. */
export interface RecheckQueue {
  chain: Promise<void>;
  pending: number;
  /** Set at stop: queued rechecks are dropped (their marks stay for the next start). */
  stopped: boolean;
}

export function createRecheckQueue(): RecheckQueue {
  return { chain: Promise.resolve(), pending: 0, stopped: false };
}

export function enqueueRechecks(
  queue: RecheckQueue,
  deps: RecheckDeps,
  alertIds: readonly string[],
  settled: () => void,
): void {
  for (const id of alertIds) {
    queue.pending += 1;
    queue.chain = queue.chain
      .then(() => (queue.stopped ? 'skipped' : recheckAlert(deps, id)))
      .then(
        () => undefined,
        (error: unknown) => deps.logger.error({ alertId: id, err: String(error) }, 'recheck failed'),
      )
      .finally(() => {
        queue.pending -= 1;
        settled();
      });
  }
}
