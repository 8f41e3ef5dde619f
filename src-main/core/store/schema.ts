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
  {
    version: 2,
    description:
      'alerting: rule detail, closed-loop lifecycle (seen, escalated, resolved), write-back state, durable outbox',
    up: (db) => {
      db.exec(`
        ALTER TABLE alerts ADD COLUMN summary TEXT;          -- "K 6.8 mmol/L > 6.2" (no patient context)
        ALTER TABLE alerts ADD COLUMN rule_id TEXT;          -- threshold:<id> | interpretation:<code> | ...
        ALTER TABLE alerts ADD COLUMN seen_at TEXT;
        ALTER TABLE alerts ADD COLUMN seen_by TEXT;
        ALTER TABLE alerts ADD COLUMN escalated_at TEXT;     -- first escalation
        ALTER TABLE alerts ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE alerts ADD COLUMN next_escalation_at TEXT;
        ALTER TABLE alerts ADD COLUMN resolved_at TEXT;
        ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
        ALTER TABLE alerts ADD COLUMN resolve_note TEXT;
        -- none | pending | done | failed (retrying) | unsupported (server does not take it)
        ALTER TABLE alerts ADD COLUMN writeback_state TEXT NOT NULL DEFAULT 'none';
        ALTER TABLE alerts ADD COLUMN writeback_error TEXT;
        ALTER TABLE alerts ADD COLUMN writeback_ref TEXT;
        CREATE INDEX alerts_open ON alerts (tier, state);
        -- Write-back requests survive restarts and are never dropped: rows leave 'pending' only for
        -- 'done' (server accepted) or 'unsupported' (the server does not accept the resource type).
        CREATE TABLE outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          alert_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          fhir_base TEXT NOT NULL,
          payload TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT 'pending',
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at TEXT NOT NULL,
          last_error TEXT,
          remote_ref TEXT,
          created_at TEXT NOT NULL,
          done_at TEXT
        );
        CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
      `);
    },
  },
  {
    version: 8,
    description: "patient identity on alerts (MRN, date of birth) and the bed's ward",
    up: (db) => {
      db.exec(`
        ALTER TABLE alerts ADD COLUMN patient_mrn TEXT;        -- tells two patients of the same name apart
        ALTER TABLE alerts ADD COLUMN patient_birth_date TEXT; -- FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)
        ALTER TABLE alerts ADD COLUMN ward TEXT;               -- the ward of the bed in 'location'
      `);
    },
  },
];
