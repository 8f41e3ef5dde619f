// A notification bundle reduced to what the client needs, whatever generation or FHIR version of the
// backport it came in (R4 Parameters, R4B/R5 SubscriptionStatus, STU2-draft Basic).

export type NotificationType =
  'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

export interface NotificationEvent {
  /** Decimal string, compared as BigInt; "0" on servers without sequence numbers (Medplum). */
  eventNumber: string;
  timestamp: string | null;
  /** Reference exactly as sent: relative (`Observation/1`) or absolute. Null for `empty` payloads. */
  focus: string | null;
  additionalContext: string[];
}

/** One status entry of a notification (a heartbeat on a shared socket carries one per subscription). */
export interface NotificationStatus {
  subscription: string;
  type: NotificationType;
  status: string | null;
  eventsSinceSubscriptionStart: string | null;
}

export interface ParsedNotification {
  type: NotificationType;
  /** Subscription reference as sent (relative or absolute). */
  subscription: string;
  topic: string | null;
  status: string | null;
  eventsSinceSubscriptionStart: string | null;
  events: NotificationEvent[];
  /** Resources included by full-resource payloads, keyed by fullUrl. */
  resources: Record<string, unknown>;
  errors: string[];
  /** Every status entry, the first (described by the fields above) included. */
  statuses: NotificationStatus[];
}
