// Readable views of the resources behind alerts. FHIR narrative (text.div) is never rendered.
import { useQuery } from '@tanstack/react-query';
import type { FhirResource } from '../../../src-main/shared/api.ts';
import { queries } from '../../api/queries.ts';
import {
  arr,
  conceptText,
  humanName,
  records,
  referenceDisplay,
  referenceOf,
  str,
} from '../../../src-main/shared/fhir-json.ts';
import {
  dateTimeText,
  dosageOf,
  encounterLocations,
  genericFields,
  interpretationText,
  medicationText,
  periodText,
  priorityOf,
  quantityDisplay,
  rangeText,
} from '../../fhir/format.ts';
import { ResourceState } from './ResourceState.tsx';
import { Trend } from './Trend.tsx';

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function ObservationView({ resource, reference }: { resource: FhirResource; reference: string }) {
  const value =
    quantityDisplay(resource['valueQuantity']) ??
    str(resource['valueString']) ??
    conceptText(resource['valueCodeableConcept']);
  return (
    <>
      <dl className="resource">
        <Field label="Test">{conceptText(resource['code']) ?? 'Observation'}</Field>
        <Field label="Value">
          <span className="value">{value ?? 'no value'}</span>
        </Field>
        <Field label="Reference range">{rangeText(resource['referenceRange']) ?? 'not given'}</Field>
        <Field label="Interpretation">{interpretationText(resource['interpretation']) ?? 'none'}</Field>
        <Field label="Status">{str(resource['status']) ?? 'unknown'}</Field>
        <Field label="Effective">{dateTimeText(resource['effectiveDateTime'] ?? resource['issued'])}</Field>
      </dl>
      <Trend reference={reference} />
    </>
  );
}

function Prescriber({ requester }: { requester: unknown }) {
  const ref = referenceOf(requester);
  const who = useQuery({
    ...queries.resource(ref ?? 'Practitioner/none'),
    enabled: ref?.startsWith('Practitioner/') ?? false,
  });
  return <>{humanName(who.data?.resource?.['name']) ?? referenceDisplay(requester) ?? 'unknown'}</>;
}

export function Allergies({ patient }: { patient: string }) {
  const allergies = useQuery(queries.allergies(patient));
  const list = allergies.data?.resources ?? [];
  return (
    <section className="allergies" aria-labelledby={`allergies-${patient}`}>
      <h3 id={`allergies-${patient}`}>Allergies</h3>
      <ResourceState
        what="allergies"
        pending={allergies.isPending}
        error={allergies.error}
        view={allergies.data}
      />
      {allergies.data?.status === 'ok' ? <AllergyList list={list} /> : null}
    </section>
  );
}

export function AllergyList({ list }: { list: FhirResource[] }) {
  if (list.length === 0) return <p className="nkda">No allergies recorded.</p>;
  return (
    <ul className="allergy-list">
      {list.map((a, i) => (
        <li key={a.id ?? i} className={str(a['criticality']) === 'high' ? 'allergy-high' : undefined}>
          <strong>{conceptText(a['code']) ?? 'Unspecified allergen'}</strong>
          {str(a['criticality']) ? <span> · criticality {str(a['criticality'])}</span> : null}
          {records(a['reaction']).map((r, j) => (
            <span key={j}> · {arr(r['manifestation']).map(conceptText).filter(Boolean).join(', ')}</span>
          ))}
        </li>
      ))}
    </ul>
  );
}

export function MedicationRequestView({ resource }: { resource: FhirResource }) {
  const dosage = dosageOf(resource);
  const priority = priorityOf(resource);
  const patient = referenceOf(resource['subject']);
  return (
    <>
      <dl className="resource">
        <Field label="Medication">
          <span className="value">{medicationText(resource)}</span>
        </Field>
        <Field label="Dose">{dosage.dose ?? dosage.text ?? 'not given'}</Field>
        <Field label="Route">{dosage.route ?? 'not given'}</Field>
        <Field label="Frequency">{dosage.frequency ?? 'not given'}</Field>
        <Field label="Priority">
          <span className={`priority priority-${priority}`}>{priority.toUpperCase()}</span>
        </Field>
        <Field label="Prescriber">
          <Prescriber requester={resource['requester']} />
        </Field>
        <Field label="Status">{`${str(resource['status']) ?? 'unknown'} · ${str(resource['intent']) ?? ''}`}</Field>
        <Field label="Ordered">{dateTimeText(resource['authoredOn'])}</Field>
      </dl>
      {patient?.startsWith('Patient/') ? <Allergies patient={patient} /> : null}
    </>
  );
}

function LocationName({ reference }: { reference: string }) {
  const loc = useQuery(queries.resource(reference));
  return <>{str(loc.data?.resource?.['name']) ?? reference}</>;
}

export function EncounterView({ resource }: { resource: FhirResource }) {
  const cls = resource['class'];
  const locations = encounterLocations(resource);
  return (
    <dl className="resource">
      <Field label="Class">{conceptText({ coding: [cls] }) ?? 'unknown'}</Field>
      <Field label="Status">{str(resource['status']) ?? 'unknown'}</Field>
      <Field label="Period">{periodText(resource['period']) ?? 'not given'}</Field>
      <Field label="Location">
        {locations.length === 0 ? (
          'not given'
        ) : (
          <ul className="plain">
            {locations.map((l, i) => {
              const ref = referenceOf(l.location);
              return (
                <li key={i}>
                  {ref ? <LocationName reference={ref} /> : (referenceDisplay(l.location) ?? 'unknown')}
                  {l.status ? ` (${l.status})` : ''}
                  {periodText(l.period) ? ` · ${periodText(l.period)}` : ''}
                </li>
              );
            })}
          </ul>
        )}
      </Field>
    </dl>
  );
}

export function GenericView({ resource }: { resource: FhirResource }) {
  const fields = genericFields(resource);
  return (
    <dl className="resource">
      <Field label="Type">{resource.resourceType}</Field>
      {fields.map(([k, v]) => (
        <Field key={k} label={k}>
          {v}
        </Field>
      ))}
    </dl>
  );
}

export function ResourceBody({ resource, reference }: { resource: FhirResource; reference: string }) {
  switch (resource.resourceType) {
    case 'Observation':
      return <ObservationView resource={resource} reference={reference} />;
    case 'MedicationRequest':
      return <MedicationRequestView resource={resource} />;
    case 'Encounter':
      return <EncounterView resource={resource} />;
    default:
      return <GenericView resource={resource} />;
  }
}
