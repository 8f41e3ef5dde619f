// The closed loop behind the API (issue 5 item 3): new -> seen -> acknowledged (signed-in fhirUser, time,
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
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { Notifier } from '../monitor/monitor.ts';
import type { RulesHolder } from '../rules/rules-holder.ts';
import type { ClientStore } from '../store/client-store.ts';
import { openAlertStore } from './alert-store.ts';
import { auditCsv } from './audit-csv.ts';
import { createEscalation } from './escalation.ts';
import { createWriteback, WRITEBACK_KIND, type AckRecord } from './writeback.ts';

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
  /** Default 10 minutes. */
  ackTimeoutMinutes?: number;
  /** Re-notify an escalated alert this often while unacknowledged. Default = ackTimeoutMinutes. */
  repeatMinutes?: number;
  /** Critical-result communication target. Default 30 minutes. */
  targetMinutes?: number;
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

function securityOf(store: ClientStore, fhirBase: string, focus: string): unknown[] {
  const cached = store.cachedResource(fhirBase, focus);
  if (!cached) return [];
  try {
    const meta = (JSON.parse(cached.json) as { meta?: { security?: unknown } }).meta;
    return Array.isArray(meta?.security) ? meta.security : [];
  } catch {
    return [];
  }
}

export function createAlerting(options: AlertingOptions): Alerting {
  const { store, logger, emit } = options;
  const now = options.now ?? Date.now;
  const ackTimeoutMinutes = options.ackTimeoutMinutes ?? 10;
  const targetMinutes = options.targetMinutes ?? 30;
  const repeatMinutes = options.repeatMinutes ?? ackTimeoutMinutes;
  store.configureLifecycle({ ackTimeoutMs: ackTimeoutMinutes * 60_000, targetMs: targetMinutes * 60_000 });
  const alerts = openAlertStore(store, now);
  let session: AlertingSession | null = null;
  let statusTimer: NodeJS.Timeout | null = null;

  const publishAlert = (id: string) => {
    const alert = alerts.read(id);
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
    const isPrivate = typeof options.privacyMode === 'function' ? options.privacyMode() : options.privacyMode;
    const title = isPrivate
      ? 'Critical result not acknowledged'
      : `ESCALATED: ${alert.headline || 'critical result'}`;
    const body = isPrivate
      ? 'Open Alert Monitor to acknowledge.'
      : [`Not acknowledged (${level})`, alert.summary, alert.location, alert.patient?.name]
          .filter(Boolean)
          .join(' — ');
    try {
      await options.notifier.notify({ alertId: alert.id, tier: 'critical', title, body, kind: 'escalation' });
      alerts.audit(alert.id, 'renotified', null, `escalation level ${level}`);
    } catch (error) {
      alerts.audit(
        alert.id,
        'notify-failed',
        null,
        error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      );
    }
    publishAlert(alert.id);
  }

  const escalation = createEscalation({
    alerts,
    ackTimeoutMs: ackTimeoutMinutes * 60_000,
    repeatMs: repeatMinutes * 60_000,
    now,
    onEscalated: renotify,
  });

  function status(): AlertingStatus {
    const counts = alerts.counts();
    const outbox = alerts.outboxCounts();
    return {
      unacknowledgedCritical: counts.open,
      escalated: counts.escalated,
      ackTimeoutMinutes,
      targetMinutes,
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
      if (!alerts.read(alertId)) return null;
      if (alerts.markSeen(alertId, session?.fhirUser ?? null)) return publishAlert(alertId);
      return alerts.read(alertId);
    },

    async acknowledge({ alertId, note }) {
      const alert = alerts.read(alertId);
      if (!alert || !session) return null;
      const actor = session.fhirUser ?? 'unknown user';
      const record: AckRecord = {
        alertId,
        focus: alert.focus,
        patientRef: alert.patient?.reference ?? null,
        actor,
        at: new Date(now()).toISOString(),
        note: note?.trim() ? note.trim() : null,
        security: securityOf(store, session.fhirBase, alert.focus),
      };
      const done = alerts.acknowledge(alertId, actor, record.note, {
        kind: WRITEBACK_KIND,
        fhirBase: session.fhirBase,
        payload: record,
      });
      if (!done) return alert;
      void writeback.pump();
      return publishAlert(alertId);
    },

    async resolveAlert({ alertId, note }) {
      if (!alerts.read(alertId)) return null;
      if (alerts.resolve(alertId, session?.fhirUser ?? null, note?.trim() ? note.trim() : null))
        return publishAlert(alertId);
      return alerts.read(alertId);
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
        alerts.audit(null, 'audit-export', session?.fhirUser ?? null, `${rows.length} rows`);
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
      if (!alerts.read(alertId)) return null;
      alerts.retryNow(alertId);
      await writeback.pump();
      return alerts.read(alertId);
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
