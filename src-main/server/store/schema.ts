// The server's SQLite schema (area `server`). Resource versions, the current-version table the search
// reads, a denormalised search index, and the per-subscription event log with its counters.
import type { Migration } from '../../lib/sqlite.ts';

export const SERVER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'resources, versions, search index, subscription event log',
    up: (db) => {
      db.exec(`
        CREATE TABLE resource_version (
          type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL, last_updated TEXT NOT NULL,
          deleted INTEGER NOT NULL, method TEXT NOT NULL, body TEXT NOT NULL,
          PRIMARY KEY (type, id, version_id));
        CREATE INDEX resource_version_updated ON resource_version (type, last_updated);
        CREATE TABLE resource_current (
          type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL, last_updated TEXT NOT NULL,
          deleted INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (type, id));
        CREATE INDEX resource_current_updated ON resource_current (type, last_updated);
        CREATE TABLE search_index (type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, value TEXT NOT NULL);
        CREATE INDEX search_index_lookup ON search_index (type, param, value, id);
        CREATE INDEX search_index_resource ON search_index (type, id);
        CREATE TABLE subscription_log (
          subscription_id TEXT PRIMARY KEY, owner TEXT NOT NULL, labels TEXT NOT NULL, event_count INTEGER NOT NULL);
        CREATE TABLE subscription_event (
          subscription_id TEXT NOT NULL, event_number INTEGER NOT NULL, created_at TEXT NOT NULL,
          topic TEXT NOT NULL, focus_type TEXT NOT NULL, focus_id TEXT NOT NULL, focus_version INTEGER NOT NULL,
          interaction TEXT NOT NULL, labels TEXT NOT NULL,
          PRIMARY KEY (subscription_id, event_number));
        CREATE INDEX subscription_event_created ON subscription_event (created_at);
      `);
    },
  },
  {
    version: 2,
    description: "subscription owner's scopes, so granular scopes filter the events logged for it",
    up: (db) => {
      // NULL for subscriptions made before: their events are still filtered at delivery by the grant.
      db.exec('ALTER TABLE subscription_log ADD COLUMN scopes TEXT');
    },
  },
  {
    version: 3,
    description: "the resource index covers param and value, so a search's ward check reads no table rows",
    up: (db) => {
      // The ward check of every candidate (search.ts, wardLabelCondition) looked up the resource's
      // index rows by (type, id) and then read each row from the table for its param and value: about
      // a third of the search time of a claim-check batch read (docs/benchmarks.md, "Sixth run").
      db.exec(`
        DROP INDEX search_index_resource;
        CREATE INDEX search_index_resource ON search_index (type, id, param, value);
      `);
    },
  },
];
