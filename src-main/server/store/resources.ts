// Versioned resource storage. Every write is one SQLite transaction that stores the new version,
// refreshes the search index and runs the change hooks — the subscription engine assigns event numbers
// there, so an event exists exactly when the resource version that triggered it does.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../lib/sqlite.ts';
import { FhirError, notFound } from '../base/outcome.ts';
import type { FhirResource, StoredResource } from '../base/types.ts';
import { indexEntries } from './search-params.ts';

export type Interaction = 'create' | 'update' | 'delete';

export interface ResourceChange {
  type: string;
  id: string;
  interaction: Interaction;
  /** The version before this write, null on create (or re-create after delete). */
  previous: StoredResource | null;
  /** The new version, null on delete. */
  current: StoredResource | null;
  versionId: number;
  at: string;
}

/** A version id that must be current (If-Match), or 'absent': no current version may exist (If-None-Match: *). */
export type WritePrecondition = number | 'absent';

/** Runs inside the write transaction; may return work to run after commit (e.g. waking streams). */
export type ChangeHook = (change: ResourceChange) => (() => void) | undefined;

export interface HistoryEntry {
  versionId: number;
  lastUpdated: string;
  method: Interaction;
  resource: StoredResource | null;
}

export interface ResourceStore {
  db: Db;
  /** Current version or null when unknown or deleted. */
  find(type: string, id: string): StoredResource | null;
  /** Current version; 404 when unknown, 410 when deleted. */
  read(type: string, id: string): StoredResource;
  vread(type: string, id: string, versionId: number): StoredResource;
  history(type: string, id: string): HistoryEntry[];
  create(resource: FhirResource): StoredResource;
  /**
   * Update, or create with the client's id. `ifMatch` is a version id for optimistic locking, or
   * `'absent'` for create-only (HTTP `If-None-Match: *`): 412 when a current version exists. Either
   * precondition is checked inside the write's transaction, so two racing writers cannot both pass.
   */
  update(
    resource: FhirResource & { id: string },
    ifMatch?: WritePrecondition,
  ): { resource: StoredResource; created: boolean };
  delete(type: string, id: string): boolean;
  addHook(hook: ChangeHook): void;
}

interface Row {
  version_id: number;
  last_updated: string;
  deleted: number;
  body: string;
  method?: string;
}

/** Strictly increasing lastUpdated so `_lastUpdated` and `_sort` order writes made in the same millisecond. */
function clock(): () => string {
  let last = 0;
  return () => {
    const now = Math.max(Date.now(), last + 1);
    last = now;
    return new Date(now).toISOString();
  };
}

export function createResourceStore(db: Db): ResourceStore {
  const hooks: ChangeHook[] = [];
  const now = clock();
  const selectCurrent = db.prepare<[string, string], Row>(
    'SELECT version_id, last_updated, deleted, body FROM resource_current WHERE type = ? AND id = ?',
  );
  const selectVersion = db.prepare<[string, string, number], Row>(
    'SELECT version_id, last_updated, deleted, body FROM resource_version WHERE type = ? AND id = ? AND version_id = ?',
  );
  const selectHistory = db.prepare<[string, string], Row>(
    `SELECT version_id, last_updated, deleted, body, method FROM resource_version
     WHERE type = ? AND id = ? ORDER BY version_id DESC`,
  );
  const insertVersion = db.prepare(
    `INSERT INTO resource_version (type, id, version_id, last_updated, deleted, method, body)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertCurrent = db.prepare(
    `INSERT INTO resource_current (type, id, version_id, last_updated, deleted, body) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (type, id) DO UPDATE SET version_id = excluded.version_id,
       last_updated = excluded.last_updated, deleted = excluded.deleted, body = excluded.body`,
  );
  const deleteIndex = db.prepare('DELETE FROM search_index WHERE type = ? AND id = ?');
  const insertIndex = db.prepare('INSERT INTO search_index (type, id, param, value) VALUES (?, ?, ?, ?)');

  const parse = (row: Row): StoredResource => JSON.parse(row.body) as StoredResource;

  function find(type: string, id: string): StoredResource | null {
    const row = selectCurrent.get(type, id);
    return row && !row.deleted ? parse(row) : null;
  }

  function write(
    type: string,
    id: string,
    body: FhirResource | null,
    expectVersion: WritePrecondition | undefined,
  ): { resource: StoredResource | null; created: boolean } {
    let deferred: (() => void)[] = [];
    const result = db.transaction(() => {
      deferred = [];
      const row = selectCurrent.get(type, id);
      const previous = row && !row.deleted ? parse(row) : null;
      if (expectVersion === 'absent' && previous) {
        throw new FhirError(412, 'conflict', `${type}/${id} already exists (If-None-Match: *)`);
      }
      if (typeof expectVersion === 'number' && (!row || row.version_id !== expectVersion)) {
        throw new FhirError(
          412,
          'conflict',
          `Version conflict: ${type}/${id} is not at version ${expectVersion}`,
        );
      }
      if (body === null && !previous) return { resource: null, created: false };
      const versionId = (row?.version_id ?? 0) + 1;
      const at = now();
      const interaction: Interaction = body === null ? 'delete' : previous ? 'update' : 'create';
      let current: StoredResource | null = null;
      if (body) {
        current = {
          ...body,
          resourceType: type,
          id,
          meta: { ...(body.meta ?? {}), versionId: String(versionId), lastUpdated: at },
        } as StoredResource;
      }
      const text = current ? JSON.stringify(current) : '{}';
      insertVersion.run(type, id, versionId, at, current ? 0 : 1, interaction, text);
      upsertCurrent.run(type, id, versionId, at, current ? 0 : 1, text);
      deleteIndex.run(type, id);
      if (current)
        for (const entry of indexEntries(current)) insertIndex.run(type, id, entry.param, entry.value);
      const change: ResourceChange = { type, id, interaction, previous, current, versionId, at };
      for (const hook of hooks) {
        const after = hook(change);
        if (after) deferred.push(after);
      }
      return { resource: current, created: interaction === 'create' };
    })();
    for (const run of deferred) run();
    return result;
  }

  return {
    db,
    find,
    read(type, id) {
      const row = selectCurrent.get(type, id);
      if (!row) throw notFound(`${type}/${id} is not known`);
      if (row.deleted) throw new FhirError(410, 'deleted', `${type}/${id} has been deleted`);
      return parse(row);
    },
    vread(type, id, versionId) {
      const row = selectVersion.get(type, id, versionId);
      if (!row) throw notFound(`${type}/${id}/_history/${versionId} is not known`);
      if (row.deleted)
        throw new FhirError(410, 'deleted', `${type}/${id}/_history/${versionId} is a deletion`);
      return parse(row);
    },
    history(type, id) {
      const rows = selectHistory.all(type, id);
      if (rows.length === 0) throw notFound(`${type}/${id} is not known`);
      return rows.map((row) => ({
        versionId: row.version_id,
        lastUpdated: row.last_updated,
        method: (row.method ?? 'update') as Interaction,
        resource: row.deleted ? null : parse(row),
      }));
    },
    create(resource) {
      const { resource: stored } = write(resource.resourceType, randomUUID(), resource, undefined);
      return stored as StoredResource;
    },
    update(resource, ifMatch) {
      const { resource: stored, created } = write(resource.resourceType, resource.id, resource, ifMatch);
      return { resource: stored as StoredResource, created };
    },
    delete(type, id) {
      const existed = find(type, id) !== null;
      write(type, id, null, undefined);
      return existed;
    },
    addHook(hook) {
      hooks.push(hook);
    },
  };
}
