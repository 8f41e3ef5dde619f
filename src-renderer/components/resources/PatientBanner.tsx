import { useQuery } from '@tanstack/react-query';
import { queries } from '../../api/queries.ts';
import { humanName, str } from '../../../src-main/shared/fhir-json.ts';
import { ageFrom, bedText, currentLocation, mrnOf } from '../../fhir/format.ts';
import { SameNameWarning } from '../PatientIdentity.tsx';
import { ResourceState } from './ResourceState.tsx';

/** The bed: the active location of the encounter, by name. */
function Bed({ encounter }: { encounter: string }) {
  const enc = useQuery(queries.resource(encounter));
  const ref = currentLocation(enc.data?.resource);
  const loc = useQuery({ ...queries.resource(ref ?? 'Location/none'), enabled: ref !== null });
  const name = str(loc.data?.resource?.['name']);
  return name ? <span className="pb-field">{bedText(name)}</span> : null;
}

export function PatientBanner({
  reference,
  encounter,
  sameName = false,
}: {
  reference: string;
  encounter?: string | null;
  /** Another patient in view has the same name. */
  sameName?: boolean;
}) {
  const patient = useQuery(queries.resource(reference));
  const resource = patient.data?.resource;
  if (!resource) {
    return (
      <div className="patient-banner" aria-label="Patient">
        <ResourceState
          what="the patient"
          pending={patient.isPending}
          error={patient.error}
          view={patient.data}
        />
      </div>
    );
  }
  const age = ageFrom(resource['birthDate']);
  const sex = str(resource['gender']);
  const mrn = mrnOf(resource);
  return (
    <div className="patient-banner" role="group" aria-label="Patient">
      <strong className="pb-name">{humanName(resource['name']) ?? 'Unnamed patient'}</strong>
      {sameName ? <SameNameWarning /> : null}
      <span className="pb-field">MRN {mrn ?? 'unknown'}</span>
      <span className="pb-field">{age === null ? 'age unknown' : `${age} y`}</span>
      <span className="pb-field">{sex ?? 'sex unknown'}</span>
      {str(resource['birthDate']) ? (
        <span className="pb-field">born {str(resource['birthDate'])}</span>
      ) : null}
      {encounter ? <Bed encounter={encounter} /> : null}
    </div>
  );
}
