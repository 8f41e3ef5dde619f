// The laboratory side of the interop run: a second Medplum user of the interop project who writes the
// patients and results the nurse's app must react to, through Medplum's FHIR API.
import { ACKNOWLEDGMENT_IDENTIFIER } from '../../src-main/core/alerting/loop-resources.ts';
import { identifierToken } from '../../src-main/core/fhir/create-once.ts';
import { passwordToken, WARD_TAG_SYSTEM } from './medplum-admin.ts';

type Json = Record<string, unknown>;

/** What an order is for: an RxNorm code and its name, and how urgent. */
export interface Drug {
  rxnorm: string;
  text: string;
  priority: 'stat' | 'urgent' | 'routine';
}

const WARFARIN: Drug = { rxnorm: '855332', text: 'warfarin sodium 5 MG Oral Tablet', priority: 'routine' };

export interface Lab {
  /** Create a test patient (invented name), tagged with her ward when given; returns `Patient/<id>`. */
  patient(family: string, ward?: string): Promise<string>;
  /**
   * Write a potassium result, tagged with the ward and taken in the encounter when given; returns
   * `Observation/<id>` and the time the write was sent.
   */
  potassium(
    patient: string,
    value: number,
    where?: { ward?: string; encounter?: string },
  ): Promise<{ reference: string; sentAt: number }>;
  /** The patient's in-progress inpatient stay in `bed` ("Ward A bed 4"), tagged with the ward. */
  admission(patient: string, bed: string, ward: string): Promise<string>;
  /** Release results in a final DiagnosticReport, as a laboratory does; returns `DiagnosticReport/<id>`. */
  finalReport(patient: string, results: readonly string[]): Promise<string>;
  /** A corrected value for the same result (a new version). */
  correct(reference: string, patient: string, value: number): Promise<void>;
  /** Withdraw the result: DELETE, as a laboratory system does for a result entered in error. */
  remove(reference: string): Promise<void>;
  /** HTTP status of a read (e.g. of a Subscription). */
  status(path: string): Promise<number>;
  /** Resources of a search. */
  search(path: string): Promise<Json[]>;
  /** The `type` resources with business identifier `system|value` (the app's create-once records). */
  byIdentifier(type: string, system: string, value: string): Promise<Json[]>;
  /**
   * An active medication order for the patient, as an order-entry system writes it (default: routine
   * warfarin 5 mg); `MedicationRequest/<id>`.
   */
  order(patient: string, drug?: Drug): Promise<string>;
  /** The patient's active penicillin allergy (anaphylaxis), as a clinician records it. */
  penicillinAllergy(patient: string): Promise<string>;
  /**
   * What a creatinine clearance needs, as a European hospital records it: the patient's birth date and
   * sex on her record, a serum creatinine in µmol/L and a body weight in kg (now).
   */
  kidneyRecord(
    patient: string,
    facts: { birthDate: string; gender: 'female' | 'male'; creatinineUmolL: number; kg: number },
  ): Promise<{ creatinine: string; weight: string }>;
  /**
   * An acknowledgment of `focus` as another system that keeps only the reference records it: the
   * app's identifier and category, `sender` = `practitioner` without a display; `Communication/<id>`.
   */
  acknowledgmentByReference(focus: string, patient: string, practitioner: string): Promise<string>;
  /**
   * A prescriber's answer as an EHR's inbox would write it: a Communication in response to `question`
   * (`Communication/<id>`), about `order`, for `patient`, sent by a practitioner named "Prescriber"
   * with a display; `Communication/<id>`.
   */
  prescriberAnswer(question: string, patient: string, order: string, text: string): Promise<string>;
  /** A Practitioner of the project by family name (a user's profile); `Practitioner/<id>`. */
  practitioner(family: string): Promise<string>;
  /**
   * The care role `code` (system `system`) held by `practitioner`, as a hospital's directory records it:
   * her active PractitionerRole, found or created once; `PractitionerRole/<id>`.
   */
  careRole(practitioner: string, system: string, code: string): Promise<string>;
  /** The lab user's access token, for a check that drives a core writer with a project user's rights. */
  token: string;
}

/** `meta.tag` naming the ward, which an AccessPolicy's `_tag` criteria read. */
const wardTag = (ward: string | undefined): Json =>
  ward ? { meta: { tag: [{ system: WARD_TAG_SYSTEM, code: ward }] } } : {};

export function potassiumResult(patient: string, value: number): Json {
  const critical = value >= 6.2 || value <= 2.8;
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: {
      coding: [
        {
          system: 'http://loinc.org',
          code: '2823-3',
          display: 'Potassium [Moles/volume] in Serum or Plasma',
        },
      ],
      text: 'Potassium',
    },
    subject: { reference: patient },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    ...(critical
      ? {
          interpretation: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                  code: value >= 6.2 ? 'HH' : 'LL',
                },
              ],
            },
          ],
        }
      : {}),
  };
}

export async function signInLab(
  origin: string,
  user: { email: string; password: string },
  project: string,
): Promise<Lab> {
  const token = await passwordToken(origin, user, project);
  const fhir = `${origin}/fhir/R4`;
  const send = async (method: string, path: string, body?: Json): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${fhir}/${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/fhir+json',
        ...(body ? { 'Content-Type': 'application/fhir+json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
  };
  const must = async (method: string, path: string, body?: Json): Promise<Json> => {
    const { status, json } = await send(method, path, body);
    if (status >= 300) throw new Error(`lab ${method} ${path.split('?')[0]}: HTTP ${status}`);
    return json;
  };
  const search = async (path: string): Promise<Json[]> =>
    (((await must('GET', path))['entry'] as Array<{ resource?: Json }> | undefined) ?? [])
      .map((e) => e.resource)
      .filter((r): r is Json => r !== undefined);
  return {
    async patient(family, ward) {
      const created = await must('POST', 'Patient', {
        resourceType: 'Patient',
        ...wardTag(ward),
        name: [{ family, given: ['Interop'] }],
        gender: 'unknown',
      });
      return `Patient/${String(created['id'])}`;
    },
    async potassium(patient, value, where = {}) {
      const sentAt = Date.now();
      const created = await must('POST', 'Observation', {
        ...potassiumResult(patient, value),
        ...wardTag(where.ward),
        ...(where.encounter ? { encounter: { reference: where.encounter } } : {}),
      });
      return { reference: `Observation/${String(created['id'])}`, sentAt };
    },
    async admission(patient, bed, ward) {
      const created = await must('POST', 'Encounter', {
        resourceType: 'Encounter',
        ...wardTag(ward),
        status: 'in-progress',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
        subject: { reference: patient },
        location: [{ location: { display: bed }, status: 'active' }],
      });
      return `Encounter/${String(created['id'])}`;
    },
    async finalReport(patient, results) {
      const created = await must('POST', 'DiagnosticReport', {
        resourceType: 'DiagnosticReport',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }], text: 'Potassium' },
        subject: { reference: patient },
        issued: new Date().toISOString(),
        result: results.map((reference) => ({ reference })),
      });
      return `DiagnosticReport/${String(created['id'])}`;
    },
    async correct(reference, patient, value) {
      const id = reference.split('/')[1] ?? '';
      await must('PUT', reference, { ...potassiumResult(patient, value), id, status: 'corrected' });
    },
    async remove(reference) {
      await must('DELETE', reference);
    },
    async order(patient, drug = WARFARIN) {
      const created = await must('POST', 'MedicationRequest', {
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        priority: drug.priority,
        medicationCodeableConcept: {
          coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: drug.rxnorm }],
          text: drug.text,
        },
        subject: { reference: patient },
        authoredOn: new Date().toISOString(),
      });
      return `MedicationRequest/${String(created['id'])}`;
    },
    async penicillinAllergy(patient) {
      const created = await must('POST', 'AllergyIntolerance', {
        resourceType: 'AllergyIntolerance',
        clinicalStatus: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
              code: 'active',
            },
          ],
        },
        criticality: 'high',
        code: {
          coding: [{ system: 'http://snomed.info/sct', code: '91936005', display: 'Allergy to penicillin' }],
          text: 'Penicillin allergy',
        },
        patient: { reference: patient },
        reaction: [{ manifestation: [{ text: 'Anaphylaxis' }] }],
      });
      return `AllergyIntolerance/${String(created['id'])}`;
    },
    async kidneyRecord(patient, facts) {
      const record = await must('GET', patient);
      await must('PUT', patient, { ...record, birthDate: facts.birthDate, gender: facts.gender });
      const observation = (loinc: string, display: string, value: number, unit: string): Json => ({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: loinc, display }] },
        subject: { reference: patient },
        effectiveDateTime: new Date().toISOString(),
        valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
      });
      const [creatinine, weight] = await Promise.all([
        must('POST', 'Observation', observation('2160-0', 'Creatinine', facts.creatinineUmolL, 'umol/L')),
        must('POST', 'Observation', observation('29463-7', 'Body weight', facts.kg, 'kg')),
      ]);
      return {
        creatinine: `Observation/${String(creatinine['id'])}`,
        weight: `Observation/${String(weight['id'])}`,
      };
    },
    async acknowledgmentByReference(focus, patient, practitioner) {
      const sent = new Date().toISOString();
      const created = await must('POST', 'Communication', {
        resourceType: 'Communication',
        identifier: [{ system: ACKNOWLEDGMENT_IDENTIFIER, value: focus }],
        status: 'completed',
        category: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'alert' },
            ],
          },
        ],
        subject: { reference: patient },
        about: [{ reference: focus }],
        sent,
        sender: { reference: practitioner },
        payload: [{ contentString: `Critical result acknowledged by telephone at ${sent}` }],
      });
      return `Communication/${String(created['id'])}`;
    },
    async prescriberAnswer(question, patient, order, text) {
      const created = await must('POST', 'Communication', {
        resourceType: 'Communication',
        status: 'completed',
        inResponseTo: [{ reference: question }],
        subject: { reference: patient },
        about: [{ reference: order }],
        sent: new Date().toISOString(),
        sender: { display: 'Dr Interop Prescriber' },
        payload: [{ contentString: text }],
      });
      return `Communication/${String(created['id'])}`;
    },
    async practitioner(family) {
      const id = (await search(`Practitioner?family=${encodeURIComponent(family)}`))[0]?.['id'];
      if (typeof id !== 'string') throw new Error(`no Practitioner named ${family}`);
      return `Practitioner/${id}`;
    },
    async careRole(practitioner, system, code) {
      const query = new URLSearchParams({ practitioner, role: `${system}|${code}`, active: 'true' });
      const existing = (await search(`PractitionerRole?${query.toString()}`))[0]?.['id'];
      if (typeof existing === 'string') return `PractitionerRole/${existing}`;
      const created = await must('POST', 'PractitionerRole', {
        resourceType: 'PractitionerRole',
        active: true,
        practitioner: { reference: practitioner },
        code: [{ coding: [{ system, code }], text: code }],
      });
      return `PractitionerRole/${String(created['id'])}`;
    },
    token,
    status: async (path) => (await send('GET', path)).status,
    search,
    byIdentifier: (type, system, value) =>
      search(`${type}?${new URLSearchParams({ identifier: identifierToken({ system, value }) }).toString()}`),
  };
}
