// The workstation's SQLite schema (area `client`). Versioned migrations; never edit a shipped one.
import { randomUUID } from 'node:crypto';
import type { Db, Migration } from '../../lib/sqlite.ts';
import { isRecord, parseJson } from '../../shared/fhir-json.ts';
import { cachedPart } from './cached-part.ts';

/**
 * Rebuild a table as its current definition minus `ON DELETE CASCADE`, keeping every row (and, for a
 * rowid table, every rowid: feeds are ordered by it) and its indexes. The definition is read from the
 * database, so columns other migrations added are kept whatever their order.
 */
function rebuildWithoutCascade(db: Db, table: string): void {
  const definition = db
    .prepare<[string], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(table);
  if (!definition) throw new Error(`migration: table ${table} does not exist`);
  const indexes = db
    .prepare<[string], { sql: string }>(
      "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    )
    .all(table);
  const columns = db
    .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .all()
    .map((c) => `"${c.name}"`)
    .join(', ');
  const rebuilt = `${table}__rebuilt`;
  const sql = definition.sql
    .replace(/\s+ON\s+DELETE\s+CASCADE/gi, '')
    .replace(/^CREATE TABLE\s+"?\w+"?/i, `CREATE TABLE ${rebuilt}`);
  const withoutRowid = /WITHOUT\s+ROWID\s*$/i.test(definition.sql);
  db.exec(sql);
  db.exec(
    withoutRowid
      ? `INSERT INTO ${rebuilt} (${columns}) SELECT ${columns} FROM ${table}`
      : `INSERT INTO ${rebuilt} (rowid, ${columns}) SELECT rowid, ${columns} FROM ${table}`,
  );
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${rebuilt} RENAME TO ${table}`);
  for (const index of indexes) db.exec(index.sql);
}

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
    version: 3,
    description:
      'ownership: each alert belongs to the identity whose grant received it; write-backs to the acting user; sign-out times for the catch-up summary',
    up: (db) => {
      db.exec(`
        -- '<fhirBase>|<principal>' (store/owners.ts): the user's fhirUser, or 'client/<id>' for a ward
        -- identity. Existing rows take their subscription's owner; a subscription without one leaves
        -- its alerts owned by nobody, so nobody sees them (fail closed).
        ALTER TABLE alerts ADD COLUMN owner TEXT;
        UPDATE alerts SET owner = (
          SELECT s.fhir_base || '|' || s.owner FROM subscriptions s WHERE s.key = alerts.subscription_key);
        CREATE INDEX alerts_by_owner ON alerts (owner, received_at DESC, event_number DESC, id DESC);
        -- Who acknowledged ('<fhirBase>|<fhirUser>'): only that user's own session writes it back.
        -- NULL for rows queued before this migration (any session on the server, as before).
        ALTER TABLE outbox ADD COLUMN actor TEXT;
        -- When each identity last signed out: what arrived after it is the "while you were away" summary.
        CREATE TABLE sign_outs (owner TEXT PRIMARY KEY, at TEXT NOT NULL);
      `);
    },
  },
  {
    version: 4,
    description:
      'alerts and events outlive the server-side subscription (no cascade); event versions; retired ' +
      'subscriptions; reconciliation watermarks; what was learned about each server; alert revisions',
    up: (db) => {
      // A subscription that disappears on the server (Medplum deletes a websocket subscription when
      // its socket closes) must never take this workstation's alerts with it: unacknowledged criticals
      // included. Its record is retired instead of deleted, and nothing cascades any more.
      rebuildWithoutCascade(db, 'alerts');
      rebuildWithoutCascade(db, 'events');
      db.exec(`
        ALTER TABLE subscriptions ADD COLUMN retired_at TEXT; -- gone on the server; kept for its events
        -- The focus version the event reported (meta.versionId), so one version is one event however it
        -- arrives (live, replay, reconciliation) and whichever subscription it came through.
        ALTER TABLE events ADD COLUMN version TEXT;
        CREATE INDEX events_by_focus ON events (focus, version);
        CREATE INDEX alerts_by_focus ON alerts (focus, topic);
        ALTER TABLE alerts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0; -- later versions of the focus
        ALTER TABLE alerts ADD COLUMN withdrawn_at TEXT; -- deleted or entered-in-error at the source
        ALTER TABLE alerts ADD COLUMN recheck_at TEXT;   -- a later event named the focus: read it again
        -- How far reconciliation has looked (_lastUpdated), per server, topic and user; it survives the
        -- subscription being re-created.
        CREATE TABLE reconcile_marks (
          fhir_base TEXT NOT NULL,
          topic TEXT NOT NULL,
          owner TEXT NOT NULL,               -- fhirUser, '' when the server names none
          last_updated TEXT NOT NULL,
          PRIMARY KEY (fhir_base, topic, owner)
        );
        -- What was learned about a server at run time (binding-token method, bind message form, ...).
        CREATE TABLE server_facts (
          fhir_base TEXT PRIMARY KEY,
          facts TEXT NOT NULL,               -- JSON, see core/monitor/server-profile.ts
          updated_at TEXT NOT NULL
        );
        -- One random id per workstation database: tags the Subscriptions it creates as its own.
        CREATE TABLE installation (id TEXT NOT NULL);
      `);
      db.prepare('INSERT INTO installation (id) VALUES (?)').run(randomUUID());
    },
  },
  {
    version: 5,
    description:
      'owed claim-check reads: an alert whose focus could not be read for a transient reason is retried',
    up: (db) => {
      db.exec(`
        -- Non-null while the focus is still owed (a transient read failure): when to read it again.
        ALTER TABLE alerts ADD COLUMN fetch_retry_at TEXT;
        ALTER TABLE alerts ADD COLUMN fetch_attempts INTEGER NOT NULL DEFAULT 0;
        -- 1 when the notification sent said "a result could not be checked": once the result is read
        -- and is itself interrupting, it is notified again with its content.
        ALTER TABLE alerts ADD COLUMN notified_unchecked INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX alerts_owed_fetch ON alerts (fetch_retry_at) WHERE fetch_retry_at IS NOT NULL;
      `);
    },
  },
  {
    version: 6,
    description:
      'the closed loop across workstations: acknowledgments and resolutions recorded elsewhere, ' +
      'closed-loop events waiting to be applied, and each result’s escalation chain',
    up: (db) => {
      db.exec(`
        -- Who acknowledged, by name, as the server's record says ("acknowledged by Riley Chen").
        ALTER TABLE alerts ADD COLUMN acknowledged_by_name TEXT;
        -- 1 when the acknowledgment (or resolution) shown was made on another workstation.
        ALTER TABLE alerts ADD COLUMN ack_elsewhere INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE alerts ADD COLUMN resolved_elsewhere INTEGER NOT NULL DEFAULT 0;
        -- A closed-loop event (an acknowledgment, a resolution or an escalation step on the server) is
        -- committed here with its event and cursor, and applied afterwards: a crash in between leaves it
        -- here, to be applied at the next start.
        CREATE TABLE loop_inbox (
          subscription_key TEXT NOT NULL,
          event_number INTEGER NOT NULL,
          topic TEXT NOT NULL,
          focus TEXT NOT NULL,               -- 'Communication/…' or 'Task/…'
          received_at TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (subscription_key, event_number)
        ) WITHOUT ROWID;
        -- Each result's escalation chain, as this workstation knows it: one row per step, shared by every
        -- alert of this workstation about that result (keyed by server and focus, not by alert).
        CREATE TABLE escalation_steps (
          fhir_base TEXT NOT NULL,
          focus TEXT NOT NULL,
          step INTEGER NOT NULL,
          -- issuing (this workstation is writing it) | requested | accepted | declined | cancelled | fail-safe
          status TEXT NOT NULL,
          task_ref TEXT,
          version TEXT,
          role TEXT,
          target TEXT,
          target_name TEXT,
          recipients TEXT NOT NULL DEFAULT '[]', -- JSON array of PractitionerRole references
          asked_at TEXT,
          due_at TEXT,
          answered_by TEXT,
          answered_by_name TEXT,
          answered_at TEXT,
          -- none | notifying | notified: this workstation told its person (or team) it was asked
          notice TEXT NOT NULL DEFAULT 'none',
          updated_at TEXT NOT NULL,
          PRIMARY KEY (fhir_base, focus, step)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 7,
    description:
      'pharmacist order verification: each decision (verify, reject, clarify) and its durable write-back to the server',
    up: (db) => {
      db.exec(`
        -- One row per order and decision (idempotent: the same decision twice is one row). Rows leave
        -- 'pending' only for 'done' (the server accepted every resource); failures retry with backoff.
        -- Owned by store/verification-store.ts (docs/pharmacy.md).
        CREATE TABLE verification_outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          fhir_base TEXT NOT NULL,
          actor TEXT NOT NULL,               -- '<fhirBase>|<fhirUser>': only her session sends it
          order_ref TEXT NOT NULL,           -- 'MedicationRequest/<id>'
          decision TEXT NOT NULL,            -- verify | reject | clarify
          payload TEXT NOT NULL,             -- JSON: what was decided (the FHIR resources are built from it)
          state TEXT NOT NULL DEFAULT 'pending',
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at TEXT NOT NULL,
          last_error TEXT,
          created_at TEXT NOT NULL,
          done_at TEXT,
          UNIQUE (fhir_base, order_ref, decision)
        );
        CREATE INDEX verification_outbox_due ON verification_outbox (state, next_attempt_at);
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
  {
    version: 9,
    description:
      'the resource cache keeps only type, id, version and security labels (no values or patients)',
    up: (db) => {
      // Rows cached before held the whole result; they are pruned after two days anyway, but a
      // workstation upgraded today should not keep them until then.
      const rows = db
        .prepare<[], { reference: string; json: string }>('SELECT reference, json FROM resource_cache')
        .all();
      const reduce = db.prepare<[string, string]>('UPDATE resource_cache SET json = ? WHERE reference = ?');
      for (const row of rows) {
        const resource = parseJson(row.json);
        reduce.run(JSON.stringify(isRecord(resource) ? cachedPart(resource) : {}), row.reference);
      }
    },
  },
  {
    version: 10,
    description:
      'OS notifications raised for open alerts, kept across restarts so a later acknowledgment still takes them back',
    up: (db) => {
      db.exec(`
        -- One row per raised notification that something may still have to take back: one for several
        -- alerts (a storm, an offline summary), or one the host can close in a later run (os_ref).
        -- Owned by store/raised-notifications.ts (docs/alerting.md, "Notifications, exactly once").
        CREATE TABLE raised_notifications (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          key TEXT NOT NULL,        -- the alert id, or the group id of a notification for several
          kind TEXT NOT NULL,       -- alert | group
          run TEXT NOT NULL,        -- the host run that raised it (a random id per start)
          os_ref TEXT,              -- what the host closes it by in another run (e.g. a D-Bus id), opaque
          raised_at TEXT NOT NULL
        );
        -- The alerts each notification still stands for: it is taken back when none is left.
        CREATE TABLE raised_notification_alerts (
          notification INTEGER NOT NULL REFERENCES raised_notifications (id) ON DELETE CASCADE,
          alert_id TEXT NOT NULL,
          PRIMARY KEY (alert_id, notification)
        ) WITHOUT ROWID;
        CREATE INDEX raised_notification_alerts_by_notification ON raised_notification_alerts (notification);
      `);
    },
  },
  {
    version: 11,
    description:
      'orders a pharmacist verified or rejected, so a stat alert that arrives after the decision is stored closed',
    up: (db) => {
      db.exec(`
        -- One row per decided order (alert-sharing.ts closeDecidedOrder): the verification Task and the
        -- order come by different subscriptions, and the Task may be applied first in a catch-up.
        CREATE TABLE decided_orders (
          fhir_base TEXT NOT NULL,
          order_ref TEXT NOT NULL,  -- MedicationRequest/…
          decision TEXT NOT NULL,   -- verify | reject
          actor TEXT NOT NULL,      -- the pharmacist's fhirUser
          decided_at TEXT NOT NULL,
          here INTEGER NOT NULL,    -- decided on this workstation
          remembered_at TEXT NOT NULL, -- this workstation's clock (retention.ts prunes by it)
          PRIMARY KEY (fhir_base, order_ref)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 12,
    description: 'read-backs: the criticals written before a user first watched a server here, searched once',
    up: (db) => {
      db.exec(`
        -- One row per server, topic and owner watched here for the first time (read-backs.ts): owed
        -- until the search back to from_at has been committed (core/monitor/read-back.ts).
        CREATE TABLE read_backs (
          fhir_base TEXT NOT NULL,
          topic TEXT NOT NULL,
          owner TEXT NOT NULL,      -- fhirUser or client/<id>, '' when the server names none
          from_at TEXT NOT NULL,    -- how far back (ISO): the first watch less the configured hours
          owed_at TEXT NOT NULL,
          done_at TEXT,             -- null while owed
          found INTEGER,            -- the open criticals it committed
          PRIMARY KEY (fhir_base, topic, owner)
        ) WITHOUT ROWID;
      `);
    },
  },
];
