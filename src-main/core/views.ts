// The renderer's read-only views: Observation trend, allergies, ward board, order queue. Each
// is a fixed search the host builds over an allow-list of resource types and parameters on the
// signed-in server; the renderer names references, never URLs, and a token never leaves its origin.
import type { FhirResource, MonitorHandlers, SearchView, TrendPoint } from '../shared/api.ts';
import {
  arr,
  bundleResources,
  codings,
  conceptText,
  field,
  firstCode,
  num,
  referenceOf,
  securityLabels,
  str,
} from '../shared/fhir-json.ts';
import { fhirFetch, readResource, type FhirAccess } from './fhir/fhir-client.ts';

type ViewHandlers = Pick<MonitorHandlers, 'getObservationTrend' | 'getAllergies' | 'getWardBoard'>;

/** `currentAccess` gives the signed-in session's FHIR access, or null when signed out. */
export function createViewHandlers(currentAccess: () => FhirAccess | null): ViewHandlers {
  return {
    async getObservationTrend({ reference, count }) {
      const access = currentAccess();
      if (!access) return { reference, ...notSignedIn(), codeDisplay: null, points: [] };
      const view = await readResource(access, reference);
      if (view.status !== 'ok' || !view.resource || view.resource.resourceType !== 'Observation') {
        return { reference, status: view.status, message: view.message, codeDisplay: null, points: [] };
      }
      const obs = view.resource;
      const coding = codings(obs['code'])[0];
      const patientRef = relativeReference(obs['subject']);
      const codeDisplay = conceptText(obs['code']);
      if (!coding?.code || !patientRef) {
        return { reference, status: 'ok', message: null, codeDisplay, points: [trendPoint(obs)] };
      }
      const found = await searchResources(access, 'Observation', [
        ['patient', patientRef],
        ['code', coding.system ? `${coding.system}|${coding.code}` : coding.code],
        ['_sort', '-date'],
        ['_count', String(count)],
      ]);
      const points = found.resources.map(trendPoint);
      if (!points.some((p) => p.reference === reference)) points.unshift(trendPoint(obs));
      points.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
      return { reference, status: found.status, message: found.message, codeDisplay, points };
    },

    async getAllergies({ patient }) {
      const access = currentAccess();
      if (!access) return { ...notSignedIn(), resources: [] };
      if (!patient.startsWith('Patient/'))
        return { status: 'error', message: 'not a Patient', resources: [] };
      return searchResources(access, 'AllergyIntolerance', [
        ['patient', patient],
        ['_count', '100'],
      ]);
    },

    async getWardBoard() {
      const access = currentAccess();
      if (!access) return { ...notSignedIn(), encounters: [], patients: [], locations: [] };
      const since = new Date(Date.now() - 24 * 3600_000).toISOString();
      const [current, finished] = await Promise.all([
        searchResources(access, 'Encounter', [
          ['status', 'in-progress'],
          ['_count', '500'],
        ]),
        searchResources(access, 'Encounter', [
          ['status', 'finished'],
          ['_lastUpdated', `ge${since}`],
          ['_sort', '-_lastUpdated'],
          ['_count', '200'],
        ]),
      ]);
      if (current.status !== 'ok')
        return {
          status: current.status,
          message: current.message,
          encounters: [],
          patients: [],
          locations: [],
        };
      const encounters = [...current.resources, ...finished.resources];
      const wards = [...new Set(encounters.flatMap(wardCodes))];
      const [patients, ...locationSets] = await Promise.all([
        searchByIds(
          access,
          'Patient',
          encounters.map((e) => relativeReference(e['subject'])),
        ),
        ...wards.map((ward) =>
          searchResources(access, 'Location', [
            ['partof', `Location/${ward}`],
            ['_count', '200'],
          ]),
        ),
        searchByIds(
          access,
          'Location',
          wards.map((ward) => `Location/${ward}`),
        ),
      ]);
      return {
        status: 'ok',
        message: null,
        encounters,
        patients: patients.resources,
        locations: locationSets.flatMap((set) => set.resources),
      };
    },
  };
}

/** Resource types and parameter names the view handlers may search; anything else is refused. */
const SEARCHABLE: Record<string, ReadonlySet<string>> = {
  Observation: new Set(['patient', 'code', '_sort', '_count']),
  // The pharmacist's worklist and review (core/pharmacy).
  Task: new Set(['code', 'focus', 'status', '_count']),
  PractitionerRole: new Set(['practitioner', '_count']),
  AllergyIntolerance: new Set(['patient', '_count']),
  Encounter: new Set(['status', '_lastUpdated', '_sort', '_count']),
  Location: new Set(['partof', '_id', '_count']),
  Patient: new Set(['_id', '_count']),
  Practitioner: new Set(['_id', '_count']),
  MedicationRequest: new Set(['status', 'intent', 'patient', '_id', '_sort', '_count']),
  // The prescribers' answers to clarification requests (core/pharmacy/prescriber-answers.ts).
  Communication: new Set(['subject', '_sort', '_count']),
};
const SEARCH_VALUE = /^[A-Za-z0-9\-.:/|,_]{1,2000}$/;

const notSignedIn = () => ({ status: 'forbidden' as const, message: 'Sign in to see records.' });
const isString = (value: unknown): value is string => typeof value === 'string';

/** One same-origin search with a fixed type and allow-listed parameters; never throws. */
export async function searchResources(
  access: FhirAccess,
  type: string,
  params: [string, string][],
): Promise<SearchView> {
  const allowed = SEARCHABLE[type];
  if (!allowed || params.some(([name, value]) => !allowed.has(name) || !SEARCH_VALUE.test(value))) {
    return { status: 'error', message: `search on ${type} not allowed`, resources: [] };
  }
  try {
    const { status, body } = await fhirFetch(access, `${type}?${new URLSearchParams(params).toString()}`);
    if (status === 403 || status === 401)
      return { status: 'forbidden', message: 'You are not permitted to see these records.', resources: [] };
    if (status !== 200) return { status: 'error', message: `The server answered ${status}.`, resources: [] };
    return { status: 'ok', message: null, resources: bundleResources(body, type) };
  } catch (error) {
    return {
      status: 'error',
      message: error instanceof Error ? error.message : 'search failed',
      resources: [],
    };
  }
}

/** Fetch resources of one type by reference (`Type/id`), in one `_id` search. */
export async function searchByIds(
  access: FhirAccess,
  type: string,
  references: (string | null)[],
): Promise<SearchView> {
  const ids = [
    ...new Set(
      references
        .filter(isString)
        .filter((ref) => ref.startsWith(`${type}/`))
        .map((ref) => ref.slice(type.length + 1))
        .filter((id) => /^[A-Za-z0-9\-.]{1,64}$/.test(id)),
    ),
  ].slice(0, 500);
  if (ids.length === 0) return { status: 'ok', message: null, resources: [] };
  return searchResources(access, type, [
    ['_id', ids.join(',')],
    ['_count', String(ids.length)],
  ]);
}

/** A reference as relative `Type/id` (absolute URLs keep their last two segments), else null. */
export function relativeReference(value: unknown): string | null {
  const parts = (referenceOf(value) ?? '').split('/').filter((p) => p.length > 0);
  return parts.length >= 2 ? `${parts[parts.length - 2]}/${parts[parts.length - 1]}` : null;
}

function trendPoint(obs: FhirResource): TrendPoint {
  const q = obs['valueQuantity'];
  return {
    reference: `Observation/${obs.id ?? ''}`,
    value: num(field(q, 'value')),
    unit: str(field(q, 'unit')) ?? str(field(q, 'code')),
    at: str(obs['effectiveDateTime']) ?? str(obs['issued']),
    interpretation: firstCode(arr(obs['interpretation'])[0]),
  };
}

/** Ward label codes on a resource (the server's access labels). */
export function wardCodes(resource: FhirResource): string[] {
  return securityLabels(resource)
    .map((label) => label.code)
    .filter(isString)
    .filter((code) => /^[a-z0-9-]{1,64}$/.test(code));
}
