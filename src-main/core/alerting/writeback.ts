// Write-back of acknowledgments to the FHIR server: the loop is closed in the record,
// not only on this workstation. Requests live in the durable outbox and leave it only when the server
// accepted them or the server's CapabilityStatement says it takes neither Communication nor AuditEvent.
// Failures are shown on the alert and retried with capped exponential backoff, never dropped.
//
// Idempotency: the resource is PUT with an id derived from the alert id, so a retry after a lost
// response updates the same record instead of creating a second one.
import { createHash } from 'node:crypto';
import {
  field,
  isRecord,
  outcomeMessage,
  parseJson,
  records,
  str,
  type CodingValue,
} from '../../shared/fhir-json.ts';
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { OutboxItem } from '../store/alert-rows.ts';
import type { AlertStore } from '../store/alert-store.ts';

export const WRITEBACK_KIND = 'acknowledgment';

/** A resource this client writes (meta carries the ward labels, which the read-side type omits). */
export type OutgoingResource = { resourceType: string; id: string } & Record<string, unknown>;

/** What is recorded at acknowledgment time; the FHIR resource is built when it is sent. */
export interface AckRecord {
  alertId: string;
  focus: string;
  patientRef: string | null;
  actor: string;
  at: string;
  note: string | null;
  /** meta.security of the focus resource: the write-back stays on the same ward. */
  security: SecurityLabel[];
}

/** A security label as written back: only the parts that are present (FHIR has no nulls). */
export type SecurityLabel = { system?: string; code?: string; display?: string };

/** The focus resource's `meta.security` codings as labels to copy onto the write-back. */
export function labelsToCopy(codings: readonly CodingValue[]): SecurityLabel[] {
  return codings
    .filter((c) => c.code !== null)
    .map((c) => ({
      ...(c.system !== null ? { system: c.system } : {}),
      ...(c.code !== null ? { code: c.code } : {}),
      ...(c.display !== null ? { display: c.display } : {}),
    }));
}

/** An outbox payload read back from the database; null when it is not an AckRecord. */
export function parseAckRecord(payload: string): AckRecord | null {
  const value = parseJson(payload);
  const alertId = str(field(value, 'alertId'));
  const focus = str(field(value, 'focus'));
  const actor = str(field(value, 'actor'));
  const at = str(field(value, 'at'));
  if (!isRecord(value) || !alertId || !focus || !actor || !at) return null;
  return {
    alertId,
    focus,
    patientRef: str(value['patientRef']),
    actor,
    at,
    note: str(value['note']),
    security: labelsToCopy(
      records(value['security']).map((c) => ({
        system: str(c['system']),
        code: str(c['code']),
        display: str(c['display']),
      })),
    ),
  };
}

export interface WritebackOptions {
  alerts: AlertStore;
  /**
   * Access for a server as the user who acted (`actor`, an owner key; null for items queued before
   * acknowledgments named one), or null while that user is not signed in: items wait, never dropped.
   */
  accessFor(fhirBase: string, actor: string | null): FhirAccess | null;
  logger: Logger;
  onChange(alertId: string): void;
  clock?: { now(): number };
  backoff?: { baseMs: number; capMs: number };
}

export interface Writeback {
  /** Send what is due now and schedule the next attempt. */
  pump(): Promise<void>;
  /** Forget cached CapabilityStatements (new sign-in). */
  resetCapabilities(): void;
  stop(): void;
}

const ACK_SYSTEM = 'urn:alert-monitor:acknowledgment';

export function resourceId(alertId: string): string {
  return `ack-${createHash('sha256').update(alertId).digest('hex').slice(0, 40)}`;
}

export function buildCommunication(ack: AckRecord): OutgoingResource {
  return {
    resourceType: 'Communication',
    id: resourceId(ack.alertId),
    ...(ack.security.length > 0 ? { meta: { security: ack.security } } : {}),
    identifier: [{ system: ACK_SYSTEM, value: ack.alertId }],
    status: 'completed',
    category: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'alert' }],
        text: 'Critical result acknowledgment',
      },
    ],
    priority: 'stat',
    ...(ack.patientRef ? { subject: { reference: ack.patientRef } } : {}),
    about: [{ reference: ack.focus }],
    sent: ack.at,
    received: ack.at,
    sender: { reference: ack.actor },
    payload: [
      {
        contentString: `Critical result acknowledged by ${ack.actor} at ${ack.at}${ack.note ? `; read-back: ${ack.note}` : ''}`,
      },
    ],
  };
}

export function buildAuditEvent(ack: AckRecord): OutgoingResource {
  return {
    resourceType: 'AuditEvent',
    id: resourceId(ack.alertId),
    ...(ack.security.length > 0 ? { meta: { security: ack.security } } : {}),
    type: {
      system: 'http://dicom.nema.org/resources/ontology/DCM',
      code: '110100',
      display: 'Application Activity',
    },
    subtype: [{ system: ACK_SYSTEM, code: 'acknowledged', display: 'Critical result acknowledged' }],
    action: 'E',
    recorded: ack.at,
    outcome: '0',
    agent: [{ who: { reference: ack.actor }, requestor: true }],
    source: { observer: { reference: ack.actor } },
    entity: [
      { what: { reference: ack.focus } },
      ...(ack.patientRef ? [{ what: { reference: ack.patientRef } }] : []),
    ],
  };
}

type Capability = { communication: boolean; auditEvent: boolean };

/** Whether a CapabilityStatement lets this client update (PUT) resources of `type`. */
function canWrite(statement: unknown, type: string): boolean {
  return records(field(statement, 'rest')).some((rest) =>
    records(rest['resource']).some(
      (resource) =>
        resource['type'] === type &&
        records(resource['interaction']).some((interaction) => interaction['code'] === 'update'),
    ),
  );
}

export function createWriteback(options: WritebackOptions): Writeback {
  const { alerts, logger } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const backoff = options.backoff ?? { baseMs: 5_000, capMs: 5 * 60_000 };
  const capabilities = new Map<string, Capability>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function capability(access: FhirAccess): Promise<Capability> {
    const cached = capabilities.get(access.fhirBase);
    if (cached) return cached;
    const { status, body } = await fhirFetch(access, 'metadata');
    if (status !== 200) throw new Error(`CapabilityStatement answered ${status}`);
    const found = {
      communication: canWrite(body, 'Communication'),
      auditEvent: canWrite(body, 'AuditEvent'),
    };
    capabilities.set(access.fhirBase, found);
    return found;
  }

  async function send(item: OutboxItem, access: FhirAccess): Promise<void> {
    const ack = parseAckRecord(item.payload);
    if (!ack) throw new Error('the queued acknowledgment record is unreadable');
    const cap = await capability(access);
    const resource = cap.communication
      ? buildCommunication(ack)
      : cap.auditEvent
        ? buildAuditEvent(ack)
        : null;
    if (!resource) {
      alerts.outboxUnsupported(
        item,
        'The server accepts neither Communication nor AuditEvent: the acknowledgment is recorded on this workstation only.',
        clock.now(),
      );
      return;
    }
    const path = `${resource.resourceType}/${resource.id}`;
    const { status, body } = await fhirFetch(access, path, { method: 'PUT', body: resource });
    if (status !== 200 && status !== 201) {
      const diagnostics = outcomeMessage(body, 160);
      throw new Error(`server answered ${status}${diagnostics ? `: ${diagnostics}` : ''}`);
    }
    alerts.outboxSucceeded(item, path, clock.now());
  }

  function delayFor(attempts: number): number {
    return Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(attempts, 20));
  }

  function schedule() {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = null;
    const next = alerts.nextOutboxAt();
    if (next === null) return;
    timer = setTimeout(() => void pump(), Math.max(50, next - clock.now()));
    timer.unref?.();
  }

  async function run(): Promise<void> {
    for (const item of alerts.dueOutbox(clock.now())) {
      const access = options.accessFor(item.fhirBase, item.actor);
      if (!access) continue;
      try {
        await send(item, access);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        alerts.outboxFailed(item, message.slice(0, 300), clock.now() + delayFor(item.attempts), clock.now());
        logger.warn({ alertId: item.alertId, attempts: item.attempts + 1 }, 'write-back failed; will retry');
      }
      options.onChange(item.alertId);
    }
  }

  async function pump(): Promise<void> {
    if (stopped) return;
    if (running) return running;
    running = run().finally(() => {
      running = null;
      schedule();
    });
    return running;
  }

  return {
    pump,
    resetCapabilities: () => capabilities.clear(),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
