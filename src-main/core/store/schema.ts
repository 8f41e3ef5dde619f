// The workstation's SQLite schema (area `client`). Versioned migrations; never edit a shipped one.
import type { Migration } from '../../lib/sqlite.ts';

export const CLIENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'subscriptions with cursors, the event log, alerts, resource cache and the audit log',
    up: (db) => {
      db.exec(`
        CREATE TABLE subscriptions (
          key TEXT PRIMARY KEY,              -- local id: '<fhirBase>|<remote id>'
          fhir_base TEXT NOT NULL,
          remote_id TEXT NOT NULL,
          topic TEXT NOT NULL,
          channel TEXT NOT NULL,             -- sse | websocket | poll
          endpoint TEXT,
          heartbeat_seconds INTEGER NOT NULL,
          owner TEXT,                        -- fhirUser the subscription was created for
          cursor INTEGER NOT NULL DEFAULT 0, -- highest event number committed; never moves backwards
          sequence_mode TEXT NOT NULL DEFAULT 'sequence', -- 'no-sequence' for servers with constant numbers
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          UNIQUE (fhir_base, remote_id)
        );
        CREATE TABLE events (
          subscription_key TEXT NOT NULL REFERENCES subscriptions(key) ON DELETE CASCADE,
          event_number INTEGER NOT NULL,
          focus TEXT,
          occurred_at TEXT,
          received_at TEXT NOT NULL,
          source TEXT NOT NULL,              -- live | replay | recovery
          PRIMARY KEY (subscription_key, event_number)
        ) WITHOUT ROWID;
        CREATE TABLE gaps (
          subscription_key TEXT NOT NULL REFERENCES subscriptions(key) ON DELETE CASCADE,
          first_missing INTEGER NOT NULL,
          last_missing INTEGER NOT NULL,
          detected_at TEXT NOT NULL,
          recovered_at TEXT,
          PRIMARY KEY (subscription_key, first_missing)
        );
        CREATE TABLE alerts (
          id TEXT PRIMARY KEY,               -- '<subscription key>:<event number>'
          subscription_key TEXT NOT NULL REFERENCES subscriptions(key) ON DELETE CASCADE,
          event_number INTEGER NOT NULL,
          topic TEXT NOT NULL,
          focus TEXT NOT NULL,
          tier TEXT NOT NULL DEFAULT 'unclassified',
          headline TEXT NOT NULL DEFAULT '',
          reason TEXT NOT NULL DEFAULT '',
          patient_ref TEXT,
          patient_name TEXT,
          location TEXT,
          occurred_at TEXT NOT NULL,
          received_at TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT 'new',
          fetch_status TEXT NOT NULL DEFAULT 'pending',
          -- pending -> notifying -> notified; 'summarised' when covered by an offline summary;
          -- 'not-required' for tiers that do not interrupt.
          notify_state TEXT NOT NULL DEFAULT 'pending',
          notified_at TEXT,
          acknowledged_by TEXT,
          acknowledged_at TEXT,
          ack_note TEXT
        );
        CREATE INDEX alerts_by_received ON alerts (received_at DESC, event_number DESC, id DESC);
        CREATE INDEX alerts_pending_fetch ON alerts (fetch_status) WHERE fetch_status = 'pending';
        CREATE TABLE resource_cache (
          reference TEXT PRIMARY KEY,        -- 'Type/id' on the subscription's server
          fhir_base TEXT NOT NULL,
          version_id TEXT,
          fetched_at TEXT NOT NULL,
          json TEXT NOT NULL
        );
        CREATE TABLE audit_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          at TEXT NOT NULL,
          alert_id TEXT,
          action TEXT NOT NULL,
          actor TEXT,
          detail TEXT
        );
      `);
    },
  },
];
