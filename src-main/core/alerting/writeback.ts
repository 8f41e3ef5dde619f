// Write-back of acknowledgments to the FHIR server: the loop is closed in the record,
// not only on this workstation. Requests live in the durable outbox and leave it only when the server
// accepted them or the server's CapabilityStatement says it takes neither Communication nor AuditEvent.
// Failures are shown on the alert and retried with capped exponential backoff, never dropped.
//
// Exactly once across workstations (docs/alerting.md, "FHIR mapping"): the record's id and identifier
// are derived from the result (loop-resources.ts), not from this workstation's alert, and it is created
// once (src-main/core/fhir/create-once.ts: a create-only PUT, or conditional create on a server that
// refuses ids it did not assign). The first workstation to acknowledge creates it; any other (a second
// nurse at the same moment, or this one retrying after a lost response) learns what the server holds
// and shows that person: one acknowledgment, the same name on every screen. The resolution is recorded
// the same way (kind 'resolution').
import { field, isRecord, parseJson, records, str, type CodingValue } from '../../shared/fhir-json.ts';
import { createRetryPump, retryDelay, type Backoff } from '../../lib/retry-pump.ts';
import { createCapabilityCache, type ServerCapabilities } from '../fhir/capabilities.ts';
import { createOnce, createOnceWay, type CreateOnceWay } from '../fhir/create-once.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { OutboxItem } from '../store/alert-rows.ts';
import { RESOLUTION_RECORD, type AlertStore } from '../store/alert-store.ts';
import {
  ACKNOWLEDGMENT_IDENTIFIER,
  acknowledgmentId,
  readAcknowledgment,
  type AcknowledgmentFact,
  RESOLUTION_IDENTIFIER,
  resolutionId,
} from './loop-resources.ts';

export const WRITEBACK_KIND = 'acknowledgment';
export const RESOLUTION_KIND = RESOLUTION_RECORD;

/** A resource this client writes (meta carries the ward labels, which the read-side type omits). */
export type OutgoingResource = { resourceType: string; id: string } & Record<string, unknown>;

/** What is recorded at acknowledgment time; the FHIR resource is built when it is sent. */
export interface AckRecord {
  alertId: string;
  focus: string;
  patientRef: string | null;
  actor: string;
  /** The actor's name as shown to others ("acknowledged by …"); absent in records queued before it was kept. */
  actorName?: string;
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
  const actorName = str(value['actorName']);
  return {
    alertId,
    focus,
    patientRef: str(value['patientRef']),
    actor,
    ...(actorName ? { actorName } : {}),
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
  backoff?: Backoff;
}

export interface Writeback {
  /** Send what is due now and schedule the next attempt. */
  pump(): Promise<void>;
  /** Forget cached CapabilityStatements (new sign-in). */
  resetCapabilities(): void;
  stop(): void;
}

const sender = (record: AckRecord) => ({
  reference: record.actor,
  ...(record.actorName ? { display: record.actorName } : {}),
});

/**
 * Whether the server's acknowledgment is this record (written by this screen before its response was
 * lost): same instant and same read-back. The instant, not the text: a server may write it otherwise.
 */
export function isThisRecord(held: Pick<AcknowledgmentFact, 'at' | 'note'>, record: AckRecord): boolean {
  return Date.parse(held.at) === Date.parse(record.at) && (held.note ?? null) === (record.note || null);
}

/** The acknowledgment record: one per result on the server, whichever workstation writes it. */
export function buildCommunication(ack: AckRecord): OutgoingResource {
  return {
    resourceType: 'Communication',
    id: acknowledgmentId(ack.focus),
    ...(ack.security.length > 0 ? { meta: { security: ack.security } } : {}),
    identifier: [{ system: ACKNOWLEDGMENT_IDENTIFIER, value: ack.focus }],
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
    sender: sender(ack),
    payload: [
      {
        contentString: `Critical result acknowledged by ${ack.actorName ?? ack.actor} at ${ack.at}${ack.note ? `; read-back: ${ack.note}` : ''}`,
      },
    ],
  };
}

/**
 * The resolution record: one per result, in response to its acknowledgment. Where the server assigns
 * ids (conditional create) the acknowledgment is referred to by its identifier, which every writer knows.
 */
export function buildResolution(record: AckRecord, way: CreateOnceWay = 'create-only-put'): OutgoingResource {
  const acknowledgment =
    way === 'conditional-create'
      ? { identifier: { system: ACKNOWLEDGMENT_IDENTIFIER, value: record.focus } }
      : { reference: `Communication/${acknowledgmentId(record.focus)}` };
  return {
    resourceType: 'Communication',
    id: resolutionId(record.focus),
    ...(record.security.length > 0 ? { meta: { security: record.security } } : {}),
    identifier: [{ system: RESOLUTION_IDENTIFIER, value: record.focus }],
    inResponseTo: [acknowledgment],
    status: 'completed',
    category: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'alert' }],
        text: 'Critical result resolved',
      },
    ],
    ...(record.patientRef ? { subject: { reference: record.patientRef } } : {}),
    about: [{ reference: record.focus }],
    sent: record.at,
    sender: sender(record),
    payload: [
      {
        contentString: `Critical result resolved by ${record.actorName ?? record.actor} at ${record.at}${record.note ? `; ${record.note}` : ''}`,
      },
    ],
  };
}

export function buildAuditEvent(ack: AckRecord): OutgoingResource {
  return {
    resourceType: 'AuditEvent',
    id: acknowledgmentId(ack.focus),
    ...(ack.security.length > 0 ? { meta: { security: ack.security } } : {}),
    type: {
      system: 'http://dicom.nema.org/resources/ontology/DCM',
      code: '110100',
      display: 'Application Activity',
    },
    subtype: [
      { system: ACKNOWLEDGMENT_IDENTIFIER, code: 'acknowledged', display: 'Critical result acknowledged' },
    ],
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

export function createWriteback(options: WritebackOptions): Writeback {
  const { alerts, logger } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const backoff = options.backoff ?? { baseMs: 5_000, capMs: 5 * 60_000 };
  const capabilities = createCapabilityCache();

  /**
   * The resource an outbox item becomes on this server, and how it is created once there; null when
   * the server takes none. A type counts as taken when the server lists `update` for it.
   */
  function resourceFor(
    item: OutboxItem,
    record: AckRecord,
    server: ServerCapabilities,
  ): { resource: OutgoingResource; way: CreateOnceWay } | null {
    const communication = server.of('Communication');
    const way = createOnceWay(communication);
    if (communication?.update) {
      const resource =
        item.kind === RESOLUTION_KIND ? buildResolution(record, way) : buildCommunication(record);
      return { resource, way };
    }
    if (item.kind === RESOLUTION_KIND || !server.of('AuditEvent')?.update) return null;
    // An R4 AuditEvent has no identifier to create it conditionally by: its derived id stands in.
    return { resource: buildAuditEvent(record), way: 'create-only-put' };
  }

  async function send(item: OutboxItem, access: FhirAccess, stopped: () => boolean): Promise<void> {
    const record = parseAckRecord(item.payload);
    if (!record) throw new Error(`the queued ${item.kind} record is unreadable`);
    const chosen = resourceFor(item, record, await capabilities.get(access));
    if (stopped()) return;
    if (!chosen) {
      const what = item.kind === RESOLUTION_KIND ? 'Communication' : 'Communication nor AuditEvent';
      alerts.outboxUnsupported(
        item,
        `The server accepts neither ${what}: the ${item.kind} is recorded on this workstation only.`,
        clock.now(),
      );
      return;
    }
    const identifier = {
      system: item.kind === RESOLUTION_KIND ? RESOLUTION_IDENTIFIER : ACKNOWLEDGMENT_IDENTIFIER,
      value: record.focus,
    };
    // Create once: the first workstation's record stands (a server that ignores `If-None-Match` updates
    // it, and every workstation then shows that last writer, learned from the subscription).
    const written = await createOnce(access, chosen.resource, identifier, chosen.way);
    // Stopped meanwhile (sign-out, shutdown: the store may be closed): the item stays queued.
    if (stopped()) return;
    if (written.outcome === 'held') adoptHeld(item, record, written.resource);
    alerts.outboxSucceeded(item, written.reference, clock.now());
  }

  /**
   * The server already holds this result's record: written by another workstation (whose person then
   * stands: another person, or the same one on another screen with another time or read-back), or by
   * this one before a response was lost (the same person, time and note: nothing changes). Either way
   * the item is done.
   */
  function adoptHeld(item: OutboxItem, record: AckRecord, held: unknown): void {
    const fact = readAcknowledgment(held);
    if (!fact) return;
    const at = clock.now();
    if (fact.actor === record.actor) {
      if (fact.kind === 'acknowledgment' && !isThisRecord(fact, record))
        alerts.sharing.adoptOwnEarlierAcknowledgment(item.alertId, fact, at);
      return;
    }
    if (fact.kind === 'acknowledgment') alerts.sharing.adoptAcknowledgment(item.alertId, fact, at);
    else alerts.sharing.adoptResolution(item.alertId, fact, at);
  }

  async function drain(isStopped: () => boolean): Promise<void> {
    for (const item of alerts.dueOutbox(clock.now())) {
      if (isStopped()) return;
      const access = options.accessFor(item.fhirBase, item.actor);
      if (!access) continue;
      try {
        await send(item, access, isStopped);
      } catch (error) {
        if (isStopped()) return;
        // Asked again next time: a server upgraded under a running app may write differently now.
        capabilities.clear();
        const message = error instanceof Error ? error.message : String(error);
        const retryAt = clock.now() + retryDelay(item.attempts, backoff);
        alerts.outboxFailed(item, message.slice(0, 300), retryAt, clock.now());
        logger.warn({ alertId: item.alertId, attempts: item.attempts + 1 }, 'write-back failed; will retry');
      }
      if (isStopped()) return;
      options.onChange(item.alertId);
    }
  }

  const outbox = createRetryPump({
    drain,
    nextDueAt: () => alerts.nextOutboxAt(),
    now: () => clock.now(),
    onDrainError: (error) =>
      logger.error({ err: String(error) }, 'write-back stopped on an error; it resumes on the next pump'),
  });
  return {
    pump: outbox.pump,
    resetCapabilities: () => capabilities.clear(),
    stop: outbox.stop,
  };
}
