// The closed loop behind the API: new -> seen -> acknowledged (signed-in fhirUser, time,
// optional read-back note) -> escalated when not acknowledged in time -> resolved. Every transition is
// audited in SQLite; acknowledgments are written back to the FHIR server through the durable outbox;
// counts for the tray/badge are pushed as `alerting` events. Runtime-neutral: hosts add only the
// file location of exports and, where they can, launch-at-login.
//
// Every action (markSeen, acknowledge, resolve, retry write-back) first asks the access policy
// (`AlertAccess`, given by the service): a signed-in user whose grant covers the alert, re-checked
// against the server. A refusal throws ApiRefusedError before anything changes: no state, no audit
// row, no write-back, no escalation stopped.
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../../lib/private-files.ts';
import { throttled } from '../../lib/throttle.ts';
import {
  ApiRefusedError,
  type AlertingStatus,
  type AlertSummary,
  type HostEvent,
  type LaunchAtLogin,
  type MonitorHandlers,
} from '../../shared/api.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { Notifier } from '../ports.ts';
import type { RulesHolder } from '../rules/rules-holder.ts';
import type { AuditRow } from '../store/alert-rows.ts';
import type { ClientStore } from '../store/client-store.ts';
import { ownerKey } from '../store/owners.ts';
import {
  NOT_RECEIVED_FOR_YOU,
  SIGN_IN_TO_ACT,
  sessionOnlyAccess,
  type AlertAccess,
  type AlertingSession,
  type AuditReader,
} from './access.ts';
import { ackRefusal, securityOf } from './acknowledge-rules.ts';
import { auditCsv } from './audit-csv.ts';
import { withServerNames } from './audit-names.ts';
import { createEscalation, type EscalatedAlert } from './escalation.ts';
import { createEscalationChain, type EscalationChain } from './escalation-chain.ts';
import { chainDecides, type EscalationPolicy } from './escalation-policy.ts';
import type { StepIssuer } from './escalation-steps.ts';
import { renotifyEscalated } from './renotify.ts';
import { withdrawQuietly } from './raise.ts';
import { createSharedLoopHandlers, type LoopChange } from './shared-loop.ts';
import { createWriteback, RESOLUTION_KIND, WRITEBACK_KIND, type AckRecord } from './writeback.ts';

export type { LoopChange } from './shared-loop.ts';
export type { ActionDecision, AlertAccess, AlertingSession, AuditReader } from './access.ts';
export { ackRefusal } from './acknowledge-rules.ts';

export interface AlertingOptions {
  store: ClientStore;
  notifier: Notifier;
  rules: RulesHolder;
  logger: Logger;
  emit(event: HostEvent): void;
  /** Where audit exports are written. */
  exportDir: string;
  privacyMode?: boolean | (() => boolean);
  /**
   * Re-notify an escalated alert this often while unacknowledged. Default: the store's ack timeout.
   * The ack timeout and the result target themselves are the store's (`openClientStore` options), so
   * what an alert row reports and when it escalates can never disagree.
   */
  repeatMinutes?: number;
  now?: () => number;
  /** Escalation check interval (ms). Default 15 s. */
  tickMs?: number;
  writebackBackoff?: { baseMs: number; capMs: number };
  /** Host hook for launch-at-login; absent where the host cannot register (browser host). */
  launchAtLogin?: { get(): Promise<boolean>; set(enabled: boolean): Promise<boolean> };
  /**
   * Who may act, export and escalate; given `current`, the session set by `setSession`. Default: the
   * single-user policy (any signed-in session acts on everything).
   */
  access?(current: () => AlertingSession | null): AlertAccess;
  /**
   * Escalation to people (docs/deployment.md, "Escalation policy"): timed steps addressed to roles of
   * the alert's ward, ending in a fail-safe contact list. Absent: escalation re-notifies this screen.
   */
  escalationPolicy?: EscalationPolicy | null;
}

type AlertingHandlers = Pick<
  MonitorHandlers,
  | 'markSeen'
  | 'acknowledge'
  | 'resolveAlert'
  | 'getAlertingStatus'
  | 'exportAudit'
  | 'reloadRules'
  | 'retryWriteback'
  | 'getLaunchAtLogin'
  | 'setLaunchAtLogin'
  | 'answerEscalation'
>;

export interface Alerting {
  handlers: AlertingHandlers;
  setSession(session: AlertingSession | null): void;
  status(): AlertingStatus;
  /** Push the current counts (after any alert change). */
  pushStatus(): void;
  start(): void;
  stop(): Promise<void>;
  /** Test hooks: run one escalation pass / one write-back pass now. */
  escalateNow(): Promise<AlertSummary[]>;
  writebackNow(): Promise<void>;
  /**
   * Another workstation acknowledged, resolved or escalated a result (the monitor applied the server's
   * record to the store): push the alerts, withdraw their notifications, tell steps addressed here.
   */
  onLoopChange(change: LoopChange): void;
  /** The alert with `addressedToYou` set on its escalation steps for the signed-in user. */
  decorate(alert: AlertSummary): AlertSummary;
}

export function createAlerting(options: AlertingOptions): Alerting {
  const { store, logger, emit } = options;
  const { alerts } = store;
  const now = options.now ?? Date.now;
  const ackTimeoutMs = alerts.timers.ackTimeoutMs;
  const repeatMs = options.repeatMinutes !== undefined ? options.repeatMinutes * 60_000 : ackTimeoutMs;
  let session: AlertingSession | null = null;
  let stopped = false;
  // The counts read every open critical: throttled by their cost as well (lib/throttle.ts).
  const statusPush = throttled(() => {
    if (!stopped) emit({ type: 'alerting', status: status() });
  }, 50);
  const access = (options.access ?? sessionOnlyAccess)(() => session);
  const policy = options.escalationPolicy ?? null;
  const isPrivate = (): boolean =>
    (typeof options.privacyMode === 'function' ? options.privacyMode() : options.privacyMode) ?? false;
  /** Only who acknowledged may write it back (rows from before migration 3: anyone on that server). */
  const writebackAccess = (fhirBase: string, actor: string | null): FhirAccess | null => {
    if (!session || session.fhirBase !== fhirBase) return null;
    if (actor !== null && actor !== ownerKey(session.fhirBase, session.fhirUser ?? '')) return null;
    return session.access;
  };
  // Alerts the signed-in user opened in this session. An escalated critical opened for the first time
  // keeps its state (and so no seen_at), yet it has been looked at: this set remembers that.
  const opened = new Set<string>();
  /** Whether `session`'s user opened this alert (in this session, or recorded as its seer). */
  const openedBy = (alert: AlertSummary, session: AlertingSession): boolean =>
    opened.has(alert.id) ||
    (Boolean(alert.lifecycle?.seenAt) && alert.lifecycle?.seenBy === session.fhirUser);

  /** Take the alert's notifications back (acknowledged or resolved). */
  const withdraw = (alertId: string) => withdrawQuietly(options.notifier, logger, alertId);

  /** The alert and the user allowed to act on it, or a refusal thrown before anything changes. */
  async function actingOn(alertId: string): Promise<{ alert: AlertSummary; actor: AlertingSession }> {
    if (!session) throw SIGN_IN_TO_ACT;
    const alert = alerts.get(alertId);
    if (!alert) throw NOT_RECEIVED_FOR_YOU;
    const decision = await access.authorize(alert);
    if (!decision.allowed) throw decision.refusal;
    return { alert, actor: decision.actor };
  }

  const publishAlert = (id: string) => {
    const alert = alerts.get(id);
    if (alert) emit({ type: 'alert', alert });
    pushStatus();
    return alert;
  };

  const writeback = createWriteback({
    alerts,
    logger,
    accessFor: writebackAccess,
    onChange: (id) => void publishAlert(id),
    clock: { now },
    ...(options.writebackBackoff ? { backoff: options.writebackBackoff } : {}),
  });

  /**
   * Every open critical escalates, whoever is signed in: an overdue critical never goes quiet. Only the
   * owner on screen gets the worded version; anyone else's (or anyone's while nobody is signed in) is
   * re-notified without value, name or bed (renotify.ts).
   */
  const renotify = (escalated: readonly EscalatedAlert[]) =>
    renotifyEscalated(
      {
        notifier: options.notifier,
        alerts,
        now,
        withoutDetail: (alertId) =>
          isPrivate() || (options.access !== undefined && alerts.ownerOf(alertId) !== access.watchedOwner()),
        publishAlert,
      },
      escalated,
    );

  /** Who may write a step: the access policy's choice, else the signed-in session on its own server. */
  const issuerFor = (alert: AlertSummary): StepIssuer | null => {
    if (access.issuer) return access.issuer(alert);
    const fhirBase = alerts.sharing.fhirBaseOf(alert.id);
    if (!session || fhirBase !== session.fhirBase) return null;
    return {
      access: session.access,
      requester: `Alert Monitor (${session.fhirUser ?? 'workstation'})`,
      ward: null,
    };
  };

  const chain: EscalationChain | null = policy
    ? createEscalationChain({
        store,
        notifier: options.notifier,
        policy,
        repeatMs,
        now,
        logger,
        issuerFor,
        screen: () => ({ owner: access.watchedOwner(), wardScreen: access.wardScreen === true }),
        isPrivate,
        publish: (id) => void publishAlert(id),
      })
    : null;

  const escalation = createEscalation({
    alerts,
    ackTimeoutMs,
    repeatMs,
    now,
    onEscalated: renotify,
    // With a policy, this screen's own re-notification starts only after its last step was asked.
    ...(policy
      ? {
          deferred: (alert: AlertSummary) => {
            const fhirBase = alerts.sharing.fhirBaseOf(alert.id);
            return fhirBase !== null && chainDecides(policy, alerts.sharing.steps(fhirBase, alert.focus));
          },
        }
      : {}),
  });

  function status(): AlertingStatus {
    // The count beside a user's feed is hers (or the ward's); with nobody signed in, the workstation's.
    const owner = options.access ? access.watchedOwner() : null;
    const counts = owner === null ? alerts.counts() : alerts.counts(owner);
    const outbox = alerts.outboxCounts();
    return {
      unacknowledgedCritical: counts.open,
      escalated: counts.escalated,
      ackTimeoutMinutes: ackTimeoutMs / 60_000,
      targetMinutes: alerts.timers.targetMs / 60_000,
      rules: options.rules.status(),
      writeback: outbox,
      escalationPolicy: policy
        ? {
            steps: policy.steps.map((step) => ({ role: step.role, afterMinutes: step.afterMinutes })),
            failSafeContacts: policy.failSafeContacts.map((c) => ({ name: c.name, phone: c.phone })),
          }
        : null,
    };
  }

  function pushStatus() {
    // Stopped: the store is about to close (a change reported during shutdown must not read it later).
    if (stopped) return;
    statusPush.request();
  }

  const launch = async (): Promise<LaunchAtLogin> =>
    options.launchAtLogin
      ? { supported: true, enabled: await options.launchAtLogin.get() }
      : { supported: false, enabled: false };

  const handlers: AlertingHandlers = {
    async markSeen({ alertId }) {
      const acting = await actingOn(alertId);
      opened.add(alertId);
      if (alerts.markSeen(alertId, acting.actor.fhirUser, now())) return publishAlert(alertId);
      return alerts.get(alertId);
    },

    async acknowledge({ alertId, note, patient }) {
      const acting = await actingOn(alertId);
      const { alert, actor: session } = acting;
      const refusal = ackRefusal(alert, patient, openedBy(alert, session));
      if (refusal) {
        alerts.audit(alertId, 'ack-refused', session.fhirUser ?? 'unknown user', refusal.reason, now());
        logger.warn({ alertId }, `acknowledgment refused: ${refusal.reason}`);
        throw new ApiRefusedError(refusal.code, refusal.message);
      }
      return acknowledgeAs(alert, session, note);
    },

    async resolveAlert({ alertId, note }) {
      const acting = await actingOn(alertId);
      const { alert, actor: session } = acting;
      const at = now();
      const text = note?.trim() ? note.trim() : null;
      // A result acknowledged with a record on the server gets its resolution recorded there too.
      const shared =
        alert.lifecycle?.writeback.state !== undefined && alert.lifecycle.writeback.state !== 'none';
      const request = shared ? { ...recordRequest(alert, session, text, at), kind: RESOLUTION_KIND } : null;
      if (alerts.resolve(alertId, session.fhirUser, text, at, request)) {
        withdraw(alertId);
        if (request) void writeback.pump();
        return publishAlert(alertId);
      }
      return alerts.get(alertId);
    },

    async answerEscalation({ alertId, step, answer, note, patient }) {
      const acting = await actingOn(alertId);
      const { alert, actor: session } = acting;
      if (!chain || !session.fhirUser)
        throw new ApiRefusedError(
          'not-permitted',
          'Not permitted: this workstation has no escalation policy.',
        );
      // Accepting is acknowledging: like the acknowledgment, only after she opened the result. Either
      // answer acts only on the patient the page showed with it.
      const refusal =
        answer === 'accept'
          ? ackRefusal(alert, patient, openedBy(alert, session))
          : ackRefusal(alert, patient, true);
      if (refusal) throw new ApiRefusedError(refusal.code, refusal.message);
      const fact = await chain.answer(alert, step, answer, {
        access: session.access,
        fhirUser: session.fhirUser,
        display: session.display ?? null,
      });
      // Accepting is taking the result: she acknowledges it (once, whoever was first).
      if (answer === 'accept' && fact.status === 'accepted' && fact.answeredBy === session.fhirUser)
        return acknowledgeAs(alerts.get(alertId) ?? alert, session, note);
      return publishAlert(alertId);
    },

    getAlertingStatus: async () => status(),

    async exportAudit({ since, until }) {
      const reader = access.auditReader();
      if (reader instanceof ApiRefusedError) throw reader;
      const rows = readableAuditRows(reader, since, until);
      const server = session?.fhirBase ?? null;
      const names = await withServerNames(
        rows,
        knownNames(),
        session?.access ?? null,
        (alertId) => alerts.sharing.fhirBaseOf(alertId) === server,
      );
      const csv = auditCsv(rows, (alertId) => alerts.get(alertId)?.occurredAt ?? null, names);
      const path = join(
        options.exportDir,
        `audit-${new Date(now()).toISOString().replace(/[:.]/g, '-')}.csv`,
      );
      try {
        ensurePrivateDir(options.exportDir);
        writePrivateFile(path, csv);
        alerts.audit(null, 'audit-export', reader.actor, `${rows.length} rows`, now());
      } catch (error) {
        logger.error({ err: String(error) }, 'audit export could not be written');
        return { path: null, rows: rows.length, csv };
      }
      return { path, rows: rows.length, csv };
    },

    async reloadRules() {
      const result = options.rules.reload();
      if (result.lastError) logger.warn({ err: result.lastError }, 'rules file refused');
      pushStatus();
      return result;
    },

    async retryWriteback({ alertId }) {
      await actingOn(alertId);
      alerts.retryWritebackNow(alertId, now());
      await writeback.pump();
      return alerts.get(alertId);
    },

    getLaunchAtLogin: launch,
    async setLaunchAtLogin({ enabled }) {
      if (!options.launchAtLogin) return { supported: false, enabled: false };
      return { supported: true, enabled: await options.launchAtLogin.set(enabled) };
    },
  };

  /** What is written back for an acknowledgment or resolution by `session` at `at`. */
  function recordRequest(alert: AlertSummary, session: AlertingSession, note: string | null, at: number) {
    const record: AckRecord = {
      alertId: alert.id,
      focus: alert.focus,
      patientRef: alert.patient?.reference ?? null,
      actor: session.fhirUser ?? 'unknown user',
      ...(session.display ? { actorName: session.display } : {}),
      at: new Date(at).toISOString(),
      note,
      security: securityOf(store, session.fhirBase, alert.focus),
    };
    return {
      kind: WRITEBACK_KIND,
      fhirBase: session.fhirBase,
      payload: record,
      actor: ownerKey(session.fhirBase, session.fhirUser ?? ''),
    };
  }

  /** Acknowledge as `session` (after the access check) and queue the shared record. */
  function acknowledgeAs(alert: AlertSummary, session: AlertingSession, note?: string): AlertSummary | null {
    const at = now();
    const text = note?.trim() ? note.trim() : null;
    const request = recordRequest(alert, session, text, at);
    const actor = session.fhirUser ?? 'unknown user';
    if (!alerts.acknowledge(alert.id, actor, text, request, at, session.display ?? null)) return alert;
    withdraw(alert.id);
    void writeback.pump();
    return publishAlert(alert.id);
  }

  const loop = createSharedLoopHandlers({
    publish: (id) => void publishAlert(id),
    notifier: options.notifier,
    logger,
    chain,
  });

  /** Names for the audit export: the people the store learnt, and the signed-in user's own. */
  function knownNames(): Map<string, string> {
    const names = alerts.peopleNames();
    if (session?.fhirUser && session.display) names.set(session.fhirUser, session.display);
    return names;
  }

  function readableAuditRows(reader: AuditReader, since?: string, until?: string): AuditRow[] {
    if (reader.owner === '*') return alerts.auditRows(since, until);
    const rows = alerts.auditRowsFor(reader.owner, reader.actor, since, until);
    const includes = reader.includes;
    return includes ? rows.filter((row) => row.alert_id === null || includes(row.alert_id)) : rows;
  }

  let chainTimer: NodeJS.Timeout | null = null;
  return {
    handlers,
    setSession(next) {
      // What one user opened does not let another acknowledge it.
      if (next?.fhirUser !== session?.fhirUser) opened.clear();
      session = next;
      writeback.resetCapabilities();
      if (next) void writeback.pump();
      void chain?.setResponder(next?.fhirUser ? (next.practitionerRoles ?? []) : null);
    },
    status,
    pushStatus,
    start() {
      escalation.start(options.tickMs ?? 15_000);
      void escalation.tick();
      if (chain) {
        // A notice cut off by a crash is given again; then the chain runs on the escalation clock.
        alerts.sharing.reclaimNotices();
        chainTimer = setInterval(() => void chain.tick(), options.tickMs ?? 15_000);
        chainTimer.unref();
        void chain.tick();
      }
    },
    async stop() {
      stopped = true;
      escalation.stop();
      writeback.stop();
      if (chainTimer) clearInterval(chainTimer);
      chainTimer = null;
      statusPush.cancel();
      // A step being written finishes (or fails) before the store closes under it.
      await chain?.stop();
    },
    escalateNow: async () => {
      await chain?.tick();
      return escalation.tick();
    },
    writebackNow: () => writeback.pump(),
    onLoopChange: (change) => loop.onChange(change),
    decorate: (alert) => (chain ? chain.decorate(alert) : alert),
  };
}
