// Read-backs owed and done (client migration 12). A subscription delivers nothing written before it
// existed, so the first time a user (or a ward identity) watches a server's critical results on this
// workstation, the results of the hours before are searched once (core/monitor/read-back.ts). The row
// is written before anything else of that first watch, so a run that ends before the search is done
// leaves it owed, and the next start does it; it is marked done in the transaction that commits what
// the search found.
import type { Db } from '../../lib/sqlite.ts';

export type ReadBackStore = ReturnType<typeof createReadBackStore>;

export interface ReadBack {
  fhirBase: string;
  topic: string;
  owner: string | null;
  /** How far back the search looks (ISO). */
  fromAt: string;
  /** When it was done (ISO), null while owed. */
  doneAt: string | null;
  /** The open criticals it committed, once done. */
  found: number | null;
}

interface ReadBackRow {
  fhir_base: string;
  topic: string;
  owner: string;
  from_at: string;
  done_at: string | null;
  found: number | null;
}

const toReadBack = (row: ReadBackRow): ReadBack => ({
  fhirBase: row.fhir_base,
  topic: row.topic,
  owner: row.owner === '' ? null : row.owner,
  fromAt: row.from_at,
  doneAt: row.done_at,
  found: row.found,
});

export function createReadBackStore(db: Db) {
  const s = {
    owe: db.prepare<[string, string, string, string, string]>(`
      INSERT OR IGNORE INTO read_backs (fhir_base, topic, owner, from_at, owed_at) VALUES (?, ?, ?, ?, ?)`),
    get: db.prepare<[string, string, string], ReadBackRow>(
      'SELECT * FROM read_backs WHERE fhir_base = ? AND topic = ? AND owner = ?',
    ),
    owed: db.prepare<[string, string], ReadBackRow>(
      'SELECT * FROM read_backs WHERE fhir_base = ? AND owner = ? AND done_at IS NULL ORDER BY topic',
    ),
    done: db.prepare<[string, number, string, string, string]>(`
      UPDATE read_backs SET done_at = ?, found = ?
      WHERE fhir_base = ? AND topic = ? AND owner = ? AND done_at IS NULL`),
  };
  return {
    /** Owe a read-back back to `fromAt`; a second call for the same server, topic and owner changes nothing. */
    owe(fhirBase: string, topic: string, owner: string | null, fromAt: string, at: number): void {
      s.owe.run(fhirBase, topic, owner ?? '', fromAt, new Date(at).toISOString());
    },
    get(fhirBase: string, topic: string, owner: string | null): ReadBack | null {
      const row = s.get.get(fhirBase, topic, owner ?? '');
      return row ? toReadBack(row) : null;
    },
    /** The read-backs this owner still owes on this server. */
    owed(fhirBase: string, owner: string | null): ReadBack[] {
      return s.owed.all(fhirBase, owner ?? '').map(toReadBack);
    },
    /** Done (inside the transaction that committed what it found). */
    markDone(fhirBase: string, topic: string, owner: string | null, found: number, at: number): void {
      s.done.run(new Date(at).toISOString(), found, fhirBase, topic, owner ?? '');
    },
  };
}
