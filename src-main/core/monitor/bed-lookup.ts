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

/** Whether a focus is an Encounter (an admission, transfer or discharge): its place is in itself. */
export function isEncounter(resource: unknown): boolean {
  return field(resource, 'resourceType') === 'Encounter';
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

/** Where a result's patient is: the bed, and the ward the bed belongs to. */
export interface Place {
  bed: string | null;
  ward: string | null;
}

/**
 * The bed (as bedOf) and the ward it belongs to: the bed Location's `partOf`, by its display or, failing
 * that, the ward Location's name. Filters and the critical list group by ward, never by bed. Never throws.
 */
export async function placeOf(
  access: FhirAccess,
  fhirBase: string,
  encounterRef: string | null,
): Promise<Place> {
  const encounter = encounterRef ? resolveReference(encounterRef, fhirBase) : null;
  if (!encounter?.sameOrigin) return { bed: null, ward: null };
  return placeOfEncounter(access, fhirBase, (await readResource(access, encounter.relative)).resource);
}

/**
 * placeOf for an Encounter already in hand (an admission's, transfer's or discharge's focus is the
 * Encounter itself: no second read of it). Never throws.
 */
export async function placeOfEncounter(
  access: FhirAccess,
  fhirBase: string,
  encounter: unknown,
): Promise<Place> {
  const current = currentLocation(encounter);
  if (!current) return { bed: null, ward: null };
  const location = current.reference ? resolveReference(current.reference, fhirBase) : null;
  const bedResource = location?.sameOrigin ? (await readResource(access, location.relative)).resource : null;
  const bed = (current.display ?? str(field(bedResource, 'name')))?.slice(0, MAX_PLACE) ?? null;
  return { bed, ward: await wardOf(access, fhirBase, bedResource) };
}

/** The ward a bed Location belongs to (its `partOf`: display, else the ward's name); null when unknown. */
export async function wardOf(access: FhirAccess, fhirBase: string, bed: unknown): Promise<string | null> {
  const partOf = field(bed, 'partOf');
  const display = str(field(partOf, 'display'));
  if (display) return display.slice(0, MAX_PLACE);
  const reference = referenceOf(partOf);
  const ward = reference ? resolveReference(reference, fhirBase) : null;
  if (!ward?.sameOrigin) return null;
  const name = str(field((await readResource(access, ward.relative)).resource, 'name'));
  return name?.slice(0, MAX_PLACE) ?? null;
}
