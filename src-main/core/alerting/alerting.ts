// The closed loop behind the API: new -> seen -> acknowledged (signed-in fhirUser, time,
// optional read-back note) -> escalated when not acknowledged in time -> resolved. Every transition is
// audited in SQLite; acknowledgments are written back to the FHIR server through the durable outbox;
// counts for the tray/badge are pushed as `alerting` events. Runtime-neutral: hosts add only the
// file location of exports and, where they can, launch-at-login.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AlertingStatus,
  AlertSummary,
  HostEvent,
  LaunchAtLogin,
  MonitorHandlers,
} from '../../shared/api.ts';
import { parseJson, securityLabels } from '../../shared/fhir-json.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { Notifier } from '../ports.ts';
import type { RulesHolder } from '../rules/rules-holder.ts';
import type { ClientStore } from '../store/client-store.ts';
import { auditCsv } from './audit-csv.ts';
import { createEscalation } from './escalation.ts';
import { escalationNotification } from './notification-text.ts';
import {
  createWriteback,
  labelsToCopy,
  WRITEBACK_KIND,
  type AckRecord,
  type SecurityLabel,
} from './writeback.ts';

export interface AlertingSession {
  fhirBase: string;
  fhirUser: string | null;
  access: FhirAccess;
}

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
>;

export interface Alerting {
  handlers: AlertingHandlers;
  setSession(session: AlertingSession | null): void;
  status(): AlertingStatus;
  /** Push the current counts (after any alert change). */
  pushStatus(): void;
  start(): void;
  stop(): void;
  /** Test hooks: run one escalation pass / one write-back pass now. */
  escalateNow(): Promise<AlertSummary[]>;
  writebackNow(): Promise<void>;
}

/**
 * Why an acknowledgment must not be recorded, or null. The acknowledge control names a patient: when the
 * page says whom it showed, the alert must be about that patient. An open critical must have been opened
 * (seen) by the acknowledging user first, so an acknowledgment always follows a look at the result.
 */
export function ackRefusal(
  alert: AlertSummary,
  shownPatient: string | undefined,
  openedByUser: boolean,
): string | null {
  if (shownPatient !== undefined && alert.patient?.reference !== shownPatient)
    return 'the alert is about a different patient than the one shown';
  const open = alert.state === 'new' || alert.state === 'seen' || alert.state === 'escalated';
  if (alert.tier === 'critical' && open && !openedByUser)
    return 'a critical result must be opened before it is acknowledged';
  return null;
}

/** The cached focus resource's ward labels, so the write-back stays on the same ward. */
function securityOf(store: ClientStore, fhirBase: string, focus: string): SecurityLabel[] {
  const cached = store.cachedResource(fhirBase, focus);
  return cached ? labelsToCopy(securityLabels(parseJson(cached.json))) : [];
}

export function createAlerting(options: AlertingOptions): Alerting {
  const { store, logger, emit } = options;
  const { alerts } = store;
  const now = options.now ?? Date.now;
  const ackTimeoutMs = alerts.timers.ackTimeoutMs;
  const repeatMs = options.repeatMinutes !== undefined ? options.repeatMinutes * 60_000 : ackTimeoutMs;
  let session: AlertingSession | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  // Alerts the signed-in user opened in this session. An escalated critical opened for the first time
  // keeps its state (and so no seen_at), yet it has been looked at: this set remembers that.
  const opened = new Set<string>();

  /** Take the alert's notifications back (acknowledged or resolved); a failure is logged, not fatal. */
  const withdraw = (alertId: string) =>
    void options.notifier
      .withdraw?.(alertId)
      .catch((error: unknown) => logger.warn({ alertId, err: String(error) }, 'withdraw failed'));

  const publishAlert = (id: string) => {
    const alert = alerts.get(id);
    if (alert) emit({ type: 'alert', alert });
    pushStatus();
    return alert;
  };

  const writeback = createWriteback({
    alerts,
    logger,
    accessFor: (fhirBase) => (session && session.fhirBase === fhirBase ? session.access : null),
    onChange: (id) => void publishAlert(id),
    clock: { now },
    ...(options.writebackBackoff ? { backoff: options.writebackBackoff } : {}),
  });

  async function renotify(alert: AlertSummary, level: number): Promise<void> {
    const privacy = typeof options.privacyMode === 'function' ? options.privacyMode() : options.privacyMode;
    try {
      await options.notifier.notify(escalationNotification(alert, level, privacy ?? false));
      alerts.audit(alert.id, 'renotified', null, `escalation level ${level}`, now());
    } catch (error) {
      const why = error instanceof Error ? error.message.slice(0, 200) : 'unknown';
      alerts.audit(alert.id, 'notify-failed', null, why, now());
    }
    publishAlert(alert.id);
  }

  const escalation = createEscalation({
    alerts,
    ackTimeoutMs,
    repeatMs,
    now,
    onEscalated: renotify,
  });

  function status(): AlertingStatus {
    const counts = alerts.counts();
    const outbox = alerts.outboxCounts();
    return {
      unacknowledgedCritical: counts.open,
      escalated: counts.escalated,
      ackTimeoutMinutes: ackTimeoutMs / 60_000,
      targetMinutes: alerts.timers.targetMs / 60_000,
      rules: options.rules.status(),
      writeback: outbox,
    };
  }

  function pushStatus() {
    statusTimer ??= setTimeout(() => {
      statusTimer = null;
      emit({ type: 'alerting', status: status() });
    }, 50);
  }

  const launch = async (): Promise<LaunchAtLogin> =>
    options.launchAtLogin
      ? { supported: true, enabled: await options.launchAtLogin.get() }
      : { supported: false, enabled: false };

  const handlers: AlertingHandlers = {
    async markSeen({ alertId }) {
      if (!alerts.get(alertId)) return null;
      opened.add(alertId);
      if (alerts.markSeen(alertId, session?.fhirUser ?? null, now())) return publishAlert(alertId);
      return alerts.get(alertId);
    },

    async acknowledge({ alertId, note, patient }) {
      const alert = alerts.get(alertId);
      if (!alert || !session) return null;
      const actor = session.fhirUser ?? 'unknown user';
      const at = now();
      const seenByUser = Boolean(alert.lifecycle?.seenAt) && alert.lifecycle?.seenBy === session.fhirUser;
      const refusal = ackRefusal(alert, patient, opened.has(alertId) || seenByUser);
      if (refusal) {
        alerts.audit(alertId, 'ack-refused', actor, refusal, at);
        logger.warn({ alertId }, `acknowledgment refused: ${refusal}`);
        return alert;
      }
      const record: AckRecord = {
        alertId,
        focus: alert.focus,
        patientRef: alert.patient?.reference ?? null,
        actor,
        at: new Date(at).toISOString(),
        note: note?.trim() ? note.trim() : null,
        security: securityOf(store, session.fhirBase, alert.focus),
      };
      const request = { kind: WRITEBACK_KIND, fhirBase: session.fhirBase, payload: record };
      const done = alerts.acknowledge(alertId, actor, record.note, request, at);
      if (!done) return alert;
      withdraw(alertId);
      void writeback.pump();
      return publishAlert(alertId);
    },

    async resolveAlert({ alertId, note }) {
      if (!alerts.get(alertId)) return null;
      if (alerts.resolve(alertId, session?.fhirUser ?? null, note?.trim() ? note.trim() : null, now())) {
        withdraw(alertId);
        return publishAlert(alertId);
      }
      return alerts.get(alertId);
    },

    getAlertingStatus: async () => status(),

    async exportAudit({ since, until }) {
      const rows = alerts.auditRows(since, until);
      const csv = auditCsv(rows);
      const path = join(
        options.exportDir,
        `audit-${new Date(now()).toISOString().replace(/[:.]/g, '-')}.csv`,
      );
      try {
        mkdirSync(options.exportDir, { recursive: true });
        writeFileSync(path, csv, { mode: 0o600 });
        alerts.audit(null, 'audit-export', session?.fhirUser ?? null, `${rows.length} rows`, now());
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
      if (!alerts.get(alertId)) return null;
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

  return {
    handlers,
    setSession(next) {
      // What one user opened does not let another acknowledge it.
      if (next?.fhirUser !== session?.fhirUser) opened.clear();
      session = next;
      writeback.resetCapabilities();
      if (next) void writeback.pump();
    },
    status,
    pushStatus,
    start() {
      escalation.start(options.tickMs ?? 15_000);
      void escalation.tick();
    },
    stop() {
      escalation.stop();
      writeback.stop();
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = null;
    },
    escalateNow: () => escalation.tick(),
    writebackNow: () => writeback.pump(),
  };
}
