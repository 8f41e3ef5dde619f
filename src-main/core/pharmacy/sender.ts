// Sends recorded decisions to the FHIR server (the durable outbox pattern, like alerting/writeback.ts):
// a decision leaves the outbox only when the server accepted every resource it writes; a failure is
// kept with its reason and retried with capped exponential backoff, never dropped. Each resource is PUT
// with its derived id, or by its identifier where the server assigns ids (decisions.ts,
// src-main/core/fhir/upsert.ts), so a retry after a lost answer writes nothing twice. Only the
// session of the pharmacist who decided sends it.
import { createRetryPump, retryDelay, type Backoff } from '../../lib/retry-pump.ts';
import { createCapabilityCache, type CapabilityCache } from '../fhir/capabilities.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import { upsert, upsertWay } from '../fhir/upsert.ts';
import type { Logger } from '../log.ts';
import type { VerificationRow, VerificationStore } from '../store/verification-store.ts';
import { parseDecisionRecord, resourcesFor } from './decisions.ts';

export interface DecisionSenderOptions {
  decisions: VerificationStore;
  /** Access as the user who decided (`actor`), or null while she is not signed in: rows wait. */
  accessFor(fhirBase: string, actor: string): FhirAccess | null;
  logger: Logger;
  /** A decision's state changed (sent, failed): the order's views are stale. */
  onChange(orderRef: string): void;
  now?: () => number;
  backoff?: Backoff;
}

export interface DecisionSender {
  pump(): Promise<void>;
  stop(): void;
}

async function send(row: VerificationRow, access: FhirAccess, capabilities: CapabilityCache): Promise<void> {
  const record = parseDecisionRecord(row.payload);
  if (!record) throw new Error('the recorded decision is unreadable');
  const server = await capabilities.get(access);
  for (const resource of resourcesFor(record)) {
    await upsert(access, resource, resource.identifier[0], upsertWay(server.of(resource.resourceType)));
  }
}

export function createDecisionSender(options: DecisionSenderOptions): DecisionSender {
  const { decisions, logger } = options;
  const now = options.now ?? (() => Date.now());
  const backoff = options.backoff ?? { baseMs: 5_000, capMs: 5 * 60_000 };
  // How each record type is written on each server; forgotten after a failed send, so a server
  // upgraded under a running app is asked again.
  const capabilities = createCapabilityCache();

  async function drain(isStopped: () => boolean): Promise<void> {
    for (const row of decisions.due(now())) {
      if (isStopped()) return;
      const access = options.accessFor(row.fhirBase, row.actor);
      if (!access) continue;
      try {
        await send(row, access, capabilities);
        if (isStopped()) return;
        decisions.succeeded(row.id, now(), row.payload);
      } catch (error) {
        if (isStopped()) return;
        capabilities.clear();
        const message = error instanceof Error ? error.message : String(error);
        decisions.failed(row.id, message, now() + retryDelay(row.attempts, backoff), row.payload);
        logger.warn(
          { decision: row.id, attempts: row.attempts + 1 },
          'verification write failed; will retry',
        );
      }
      options.onChange(row.orderRef);
    }
  }

  const { pump, stop } = createRetryPump({
    drain,
    nextDueAt: () => decisions.nextAttemptAt(),
    now,
    onDrainError: (error) =>
      logger.error(
        { err: String(error) },
        'verification sending stopped on an error; it resumes on the next pump',
      ),
  });
  return { pump, stop };
}
