// What this workstation knows about the servers it talks to, beyond subscriptions and events: how far
// reconciliation has looked on each topic (survives the subscription being re-created), what was
// learned about a server at run time (core/monitor/server-profile.ts decides what that is), and the
// workstation's own random id, which tags the Subscriptions it creates as its own.
import type { Db } from '../../lib/sqlite.ts';
import { parseJson } from '../../shared/fhir-json.ts';

export type ServerFactsStore = ReturnType<typeof createServerFactsStore>;

/** An ISO instant as epoch ms for comparisons; NaN (never "later") for anything else. */
function instant(value: string): number {
  return Date.parse(value);
}

export function createServerFactsStore(db: Db) {
  const s = {
    mark: db.prepare<[string, string, string], { last_updated: string }>(
      'SELECT last_updated FROM reconcile_marks WHERE fhir_base = ? AND topic = ? AND owner = ?',
    ),
    setMark: db.prepare<[string, string, string, string]>(`
      INSERT INTO reconcile_marks (fhir_base, topic, owner, last_updated) VALUES (?, ?, ?, ?)
      ON CONFLICT (fhir_base, topic, owner) DO UPDATE SET last_updated = excluded.last_updated`),
    facts: db.prepare<[string], { facts: string }>('SELECT facts FROM server_facts WHERE fhir_base = ?'),
    setFacts: db.prepare<[string, string, string]>(`
      INSERT INTO server_facts (fhir_base, facts, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (fhir_base) DO UPDATE SET facts = excluded.facts, updated_at = excluded.updated_at`),
    installation: db.prepare<[], { id: string }>('SELECT id FROM installation LIMIT 1'),
  };
  const mark = (fhirBase: string, topic: string, owner: string | null): string | null =>
    s.mark.get(fhirBase, topic, owner ?? '')?.last_updated ?? null;

  return {
    /** The newest `meta.lastUpdated` reconciliation has accounted for on this topic, if any. */
    reconcileMark: mark,
    /** Move the mark forward (never back): `lastUpdated` has been accounted for. */
    advanceReconcileMark(fhirBase: string, topic: string, owner: string | null, lastUpdated: string): void {
      const next = instant(lastUpdated);
      if (Number.isNaN(next)) return;
      const current = mark(fhirBase, topic, owner);
      if (current !== null && !(next > instant(current))) return;
      s.setMark.run(fhirBase, topic, owner ?? '', lastUpdated);
    },
    /** Facts learned about a server (JSON as stored), or null. */
    serverFacts(fhirBase: string): unknown {
      const row = s.facts.get(fhirBase);
      return row ? (parseJson(row.facts) ?? null) : null;
    },
    saveServerFacts(fhirBase: string, facts: unknown): void {
      s.setFacts.run(fhirBase, JSON.stringify(facts), new Date().toISOString());
    },
    /** This workstation database's random id (created with the schema). */
    installationId(): string {
      const row = s.installation.get();
      if (!row) throw new Error('the installation id is missing from the client database');
      return row.id;
    },
  };
}
