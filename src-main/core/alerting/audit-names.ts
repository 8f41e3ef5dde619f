// The audit export names people, not only references. A name comes from what this workstation learnt
// (a signed-in user, a shared acknowledgment that carried its sender's name); a person it never learnt
// a name for — a record another implementation wrote with the reference only — is read from the server
// with the exporting user's own token, as the screen does (components/PersonName.tsx). A read that fails
// or is refused leaves the cell empty: the reference beside it still identifies the person.
import { humanName } from '../../shared/fhir-json.ts';
import { readResource, type FhirAccess } from '../fhir/fhir-client.ts';
import type { AuditRow } from '../store/alert-rows.ts';

/** Only practitioners are read: a patient's name never goes into the audit export. */
const PRACTITIONER = /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/;

/** Reads at most this many people per export, this many at a time (an export must not flood a server). */
export const MAX_NAME_READS = 50;
const READS_AT_ONCE = 4;

/**
 * The people of `rows` that `known` has no name for and the signed-in user's server could name: only on
 * rows about its own alerts (`onThisServer`), since `Practitioner/x` on another server is someone else.
 */
export function unnamedPractitioners(
  rows: readonly AuditRow[],
  known: ReadonlyMap<string, string>,
  onThisServer: (alertId: string) => boolean,
): string[] {
  const wanted = new Set<string>();
  for (const { actor, alert_id: alertId } of rows) {
    if (!actor || !PRACTITIONER.test(actor) || known.has(actor) || wanted.has(actor)) continue;
    if (alertId !== null && onThisServer(alertId)) wanted.add(actor);
  }
  return [...wanted].slice(0, MAX_NAME_READS);
}

/** `known`, plus the names the server gives for the rows' other practitioners (one read each, no retries). */
export async function withServerNames(
  rows: readonly AuditRow[],
  known: ReadonlyMap<string, string>,
  access: FhirAccess | null,
  onThisServer: (alertId: string) => boolean,
): Promise<Map<string, string>> {
  const names = new Map(known);
  if (!access) return names;
  const queue = unnamedPractitioners(rows, known, onThisServer);
  const readNext = async (): Promise<void> => {
    for (let reference = queue.shift(); reference; reference = queue.shift()) {
      const view = await readResource(access, reference, []);
      const name = view.status === 'ok' ? humanName(view.resource?.['name']) : null;
      if (name) names.set(reference, name);
    }
  };
  await Promise.all(Array.from({ length: READS_AT_ONCE }, readNext));
  return names;
}
