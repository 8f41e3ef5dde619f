// Where is the patient now? The bed of a result's encounter ("Ward A bed 1"), read with the user's
// token from the same server. Only same-origin references are followed; anything unknown is null.
import { field, records, referenceOf, str } from '../../shared/fhir-json.ts';
import { readResource, type FhirAccess } from '../fhir/fhir-client.ts';
import { resolveReference } from '../notifications/parse-bundle.ts';

const MAX_PLACE = 80;

/** The current `Encounter.location` entry: the active one, else the last listed. */
export function currentLocation(
  encounter: unknown,
): { display: string | null; reference: string | null } | null {
  const locations = records(field(encounter, 'location'));
  const current = locations.find((l) => l['status'] === 'active') ?? locations.at(-1);
  if (!current) return null;
  const place = current['location'];
  return { display: str(field(place, 'display')), reference: referenceOf(place) };
}

/** A place's name as shown (bounded); null for none. */
export function placeName(name: string | null): string | null {
  return name?.slice(0, MAX_PLACE) ?? null;
}

/** "Ward A bed 1": the current location of the result's encounter; null when unknown. Never throws. */
export async function bedOf(
  access: FhirAccess,
  fhirBase: string,
  encounterRef: string | null,
): Promise<string | null> {
  if (!encounterRef) return null;
  const encounter = resolveReference(encounterRef, fhirBase);
  if (!encounter?.sameOrigin) return null;
  const view = await readResource(access, encounter.relative);
  const current = currentLocation(view.resource);
  if (!current) return null;
  if (current.display) return current.display.slice(0, MAX_PLACE);
  if (!current.reference) return null;
  const location = resolveReference(current.reference, fhirBase);
  if (!location?.sameOrigin) return null;
  const place = await readResource(access, location.relative);
  return str(field(place.resource, 'name'))?.slice(0, MAX_PLACE) ?? null;
}
