// Write-back of acknowledgments to the FHIR server (issue 5 item 4): the loop is closed in the record,
// not only on this workstation. Requests live in the durable outbox and leave it only when the server
// accepted them or the server's CapabilityStatement says it takes neither Communication nor AuditEvent.
// Failures are shown on the alert and retried with capped exponential backoff, never dropped.
//
// Idempotency: the resource is PUT with an id derived from the alert id, so a retry after a lost
// response updates the same record instead of creating a second one.
import { createHash } from 'node:crypto';
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { AlertStore, OutboxItem } from './alert-store.ts';

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
  security: unknown[];
}

export interface WritebackOptions {
  alerts: AlertStore;
  /** Access for a server, or null while nobody is signed in to it (items wait, they are not dropped). */
  accessFor(fhirBase: string): FhirAccess | null;
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

function canWrite(statement: unknown, type: string): boolean {
  const rest = (statement as { rest?: unknown })?.rest;
  if (!Array.isArray(rest)) return false;
  return rest.some((r) => {
    const resources = (r as { resource?: unknown })?.resource;
    return (
      Array.isArray(resources) &&
      resources.some((res) => {
        const entry = res as { type?: unknown; interaction?: unknown };
        return (
          entry.type === type &&
          Array.isArray(entry.interaction) &&
          entry.interaction.some((i) => (i as { code?: unknown })?.code === 'update')
        );
      })
    );
  });
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
    const ack = JSON.parse(item.payload) as AckRecord;
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
      );
      return;
    }
    const path = `${resource.resourceType}/${resource.id}`;
    const { status, body } = await fhirFetch(access, path, { method: 'PUT', body: resource });
    if (status !== 200 && status !== 201) {
      const issue = (body as { issue?: Array<{ diagnostics?: unknown }> } | null)?.issue?.[0]?.diagnostics;
      throw new Error(
        `server answered ${status}${typeof issue === 'string' ? `: ${issue.slice(0, 160)}` : ''}`,
      );
    }
    alerts.outboxSucceeded(item, path);
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
    for (const item of alerts.dueOutbox()) {
      const access = options.accessFor(item.fhirBase);
      if (!access) continue;
      try {
        await send(item, access);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        alerts.outboxFailed(item, message.slice(0, 300), clock.now() + delayFor(item.attempts));
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
