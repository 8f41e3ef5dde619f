// Closed-loop events (docs/alerting.md, "Across workstations"): another workstation acknowledged,
// resolved or escalated a result, or a pharmacist decided an order (docs/pharmacy.md). The event is
// committed with its cursor like any other (the store keeps it in `loop_inbox`, not as an alert); here
// its focus — the acknowledgment Communication, the escalation Task or the verification Task — is read
// with this monitor's token (claim-check) and applied to every alert this workstation holds about that
// result or order. Only then is the event done; a read that fails for now is tried again later, and at
// every start, so no acknowledgment or decision made elsewhere is missed.
import { toSharedStep } from '../alerting/escalation-steps.ts';
import { acknowledgmentId, readAcknowledgment, readStep, resolutionId } from '../alerting/loop-resources.ts';
import type { LoopChange } from '../alerting/shared-loop.ts';
import { readResource, type FhirAccess } from '../fhir/fhir-client.ts';
import { readOrderDecision } from '../pharmacy/decisions.ts';
import { answeredOrderOf } from '../pharmacy/prescriber-answers.ts';
import type { Logger } from '../log.ts';
import type { LoopEvent } from '../store/alert-sharing.ts';
import type { ClientStore } from '../store/client-store.ts';

/** Pause before a closed-loop record that could not be read is read again. */
const LOOP_RETRY_MS = 15_000;

export interface LoopDeps {
  store: ClientStore;
  access: FhirAccess;
  fhirBase: string;
  logger: Logger;
  onChange(change: LoopChange): void;
}

/**
 * Apply what one record says; 'retry' when it could not be read for now, 'stopped' when the monitor
 * stopped during the read (the event stays in the inbox for the next start). Never throws.
 */
export async function applyLoopEvent(
  deps: LoopDeps,
  event: LoopEvent,
  stopped: () => boolean = () => false,
): Promise<'applied' | 'retry' | 'stopped'> {
  const { sharing } = deps.store.alerts;
  const view = await readResource(deps.access, event.focus);
  // The store may be closing: touch nothing.
  if (stopped()) return 'stopped';
  if (view.status === 'error' || view.status === 'pending') {
    sharing.loopEventFailed(event);
    deps.logger.warn(
      { focus: event.focus, attempts: event.attempts + 1 },
      'closed-loop record unreadable for now',
    );
    return 'retry';
  }
  // Gone or forbidden: nothing this workstation may learn from it.
  if (view.status === 'ok' && view.resource) {
    const at = Date.now();
    const shared = readAcknowledgment(view.resource);
    const step = shared ? null : readStep(view.resource);
    const decided = shared || step ? null : readOrderDecision(view.resource);
    const answered = shared || step || decided ? null : answeredOrderOf(view.resource);
    if (shared?.kind === 'acknowledgment') {
      const applied = sharing.applyAcknowledgment(deps.fhirBase, shared, at);
      if (applied.changed.length > 0) deps.onChange({ kind: 'acknowledged', ...applied });
    } else if (shared?.kind === 'resolution') {
      const changed = sharing.applyResolution(deps.fhirBase, shared, at);
      if (changed.length > 0) deps.onChange({ kind: 'resolved', changed });
    } else if (step) {
      const saved = sharing.saveStep(deps.fhirBase, toSharedStep(step), at);
      if (saved) deps.onChange({ kind: 'step', alertIds: saved.alertIds, status: step.status });
    } else if (decided) {
      // Told even when no alert changed: the worklist drops the order either way.
      const changed = sharing.closeDecidedOrder(deps.fhirBase, decided, false, at);
      deps.onChange({ kind: 'order-decided', order: decided.order, changed });
    } else if (answered) {
      deps.onChange({ kind: 'order-answered', order: answered });
    }
  }
  sharing.loopEventApplied(event);
  return 'applied';
}

/** Closed-loop events are applied one at a time, in order. */
export interface LoopQueue {
  chain: Promise<void>;
  pending: number;
  /** Events already queued (or waiting for a retry), by `<subscription>#<event number>`. */
  queued: Set<string>;
  retries: Set<NodeJS.Timeout>;
  stopped: boolean;
}

export function createLoopQueue(): LoopQueue {
  return { chain: Promise.resolve(), pending: 0, queued: new Set(), retries: new Set(), stopped: false };
}

const keyOf = (event: Pick<LoopEvent, 'subscriptionKey' | 'eventNumber'>) =>
  `${event.subscriptionKey}#${event.eventNumber}`;

export function enqueueLoopEvents(
  queue: LoopQueue,
  deps: LoopDeps,
  events: readonly LoopEvent[],
  settled: () => void,
): void {
  for (const event of events) {
    const key = keyOf(event);
    if (queue.stopped || queue.queued.has(key)) continue;
    queue.queued.add(key);
    queue.pending += 1;
    queue.chain = queue.chain
      .then(() => (queue.stopped ? 'stopped' : applyLoopEvent(deps, event, () => queue.stopped)))
      .then(
        (outcome) => {
          queue.queued.delete(key);
          if (outcome === 'retry')
            retryLater(queue, deps, { ...event, attempts: event.attempts + 1 }, settled);
        },
        (error: unknown) => {
          queue.queued.delete(key);
          deps.logger.error({ focus: event.focus, err: String(error) }, 'closed-loop event failed');
        },
      )
      .finally(() => {
        queue.pending -= 1;
        settled();
      });
  }
}

/**
 * Read the acknowledgment and resolution records of these results directly (their ids are derived from
 * the result): a record written before this monitor's closed-loop subscription existed (a first
 * sign-in, a subscription set up again, an upgrade that added the topic) is never delivered by it, and
 * an open critical must not stay open here because of that. Applied like any closed-loop event; a
 * missing record (404) changes nothing.
 */
export function reconcileRecords(
  queue: LoopQueue,
  deps: LoopDeps,
  foci: readonly string[],
  settled: () => void,
): void {
  const events = [...new Set(foci)].flatMap((focus) =>
    [acknowledgmentId(focus), resolutionId(focus)].map((id, index) => ({
      subscriptionKey: `reconcile:${focus}`,
      eventNumber: index,
      topic: 'reconcile',
      focus: `Communication/${id}`,
      fhirBase: deps.fhirBase,
      attempts: 0,
    })),
  );
  enqueueLoopEvents(queue, deps, events, settled);
}

function retryLater(queue: LoopQueue, deps: LoopDeps, event: LoopEvent, settled: () => void): void {
  if (queue.stopped) return;
  const timer = setTimeout(() => {
    queue.retries.delete(timer);
    enqueueLoopEvents(queue, deps, [event], settled);
  }, LOOP_RETRY_MS);
  timer.unref();
  queue.retries.add(timer);
}

/**
 * Stop: queued events stay in the store's inbox for the next start. Resolves once the event being
 * applied (if any) is done, so nothing writes to the store after the monitor stopped.
 */
export async function stopLoopQueue(queue: LoopQueue): Promise<void> {
  queue.stopped = true;
  for (const timer of queue.retries) clearTimeout(timer);
  queue.retries.clear();
  await queue.chain;
}
