// The client core's ports: interfaces that several folders (monitor, alerting, service, the hosts)
// share only as types. They live here, outside any pipeline module, so that naming a type never means
// importing the pipeline and no folder depends on another just for a shape.
import type { AlertTier } from '../shared/api.ts';

/** The part of a signed-in SMART session the monitor pipeline uses. */
export interface MonitorSession {
  fhirBase: string;
  fhirUser: string | null;
  accessToken(): Promise<string>;
  refreshNow(reason: string): Promise<void>;
  tokenExpiresAt(): number | null;
  /** Non-null while token renewal is failing (transiently): shown in health. */
  renewalStatus?(): {
    failingSince: number;
    attempts: number;
    lastError: string;
    nextAttemptAt: number | null;
  } | null;
}

/** One OS notification, already worded (src-main/core/alerting/notification-text.ts). */
export interface AlertNotification {
  alertId: string | null;
  tier: AlertTier;
  title: string;
  body: string;
  /**
   * 'alert' (first delivery), 'unchecked' (a result on a critical topic that could not be read: possibly
   * critical), 'escalation' (re-notification of an unacknowledged critical), 'summary'.
   */
  kind?: 'alert' | 'unchecked' | 'escalation' | 'summary';
  /** The alerts a summary covers (a summary has no single `alertId`). */
  alertIds?: string[];
  /**
   * A notification that covers several alerts: the handle `withdrawGroup` takes it back by, once every
   * alert it covers was acknowledged or resolved (src-main/core/alerting/notification-withdrawal.ts).
   */
  groupId?: string;
  /** An escalation step addressed to this screen's person or team (or the fail-safe step): its number. */
  step?: number;
  /** What it is, in capitals, for the app's own toast (no patient data): "ESCALATED TO YOU". */
  lead?: string;
  /** The body inside the app, where "Open Alert Monitor to …" would send her to where she is. */
  inAppBody?: string;
}

/** Raises an interruption: Electron Notification, D-Bus, or the browser page. */
/**
 * What a host can close one of its notifications by in a later run (a D-Bus daemon's id and whose it
 * was); opaque to the core, which only keeps it (store/raised-notifications.ts).
 */
export type OsNotificationRef = string;

/** A notification an earlier run of this host raised, now to be taken back. */
export interface EarlierNotification {
  /** The alert's id, or the group id of a notification for several alerts. */
  key: string;
  kind: 'alert' | 'group';
  osRef: OsNotificationRef | null;
}

export interface Notifier {
  /** Resolves with an `OsNotificationRef` when the host could close this notification after a restart. */
  notify(notification: AlertNotification): Promise<OsNotificationRef | undefined>;
  /**
   * Take back every notification raised for this alert (first alert and escalations): it was
   * acknowledged or resolved (here or on another workstation), so a lock screen or a notification centre must no longer ask for it.
   * Hosts that cannot close a notification leave it out (the headless monitor).
   */
  withdraw?(alertId: string): Promise<void>;
  /** Take back a notification that covered several alerts (its `groupId`): none of them is open now. */
  withdrawGroup?(groupId: string): Promise<void>;
  /**
   * Take back notifications an earlier run of this host raised (it restarted in between): none of their
   * alerts is open now. Refs it can no longer close (the notification daemon restarted) are skipped.
   */
  withdrawEarlier?(notifications: EarlierNotification[]): Promise<void>;
}

/** One topic the monitor subscribes to. */
export interface TopicRequest {
  topic: string;
  /** backport-filter-criteria values, e.g. `Observation?location=Location/ward-a`. */
  filters: string[];
  heartbeatSeconds: number;
  /** Our custom SSE channel (default) or the standard FHIR websocket channel. */
  channel?: 'sse' | 'websocket';
  /**
   * Search for this topic's resources, e.g. `Observation?category=laboratory`, used to reconcile by
   * `_lastUpdated` when the server's notifications carry no usable event numbers or ids.
   */
  reconcileQuery?: string;
}
