import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { queries } from '../../api/queries.ts';
import { humanName, str } from '../../../src-main/shared/fhir-json.ts';
import { ageFrom, bedText, currentLocation, mrnOf } from '../../fhir/format.ts';
import type { PatientLike } from '../../feed/identity.ts';
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

/** What the alert already says about its patient, before the patient's record is read. */
export interface BannerExpected {
  patient: PatientLike;
  /** The bed as the alert names it ("Ward A bed 1"). */
  bed: string | null;
}

/** The banner's parts, in one order for the banner and for the room kept for it. */
function BannerFields(props: {
  name: string;
  sameName: boolean;
  mrn: string;
  age: string;
  sex: string;
  born: string | null;
  bed: ReactNode;
}) {
  return (
    <>
      <strong className="pb-name">{props.name}</strong>
      {props.sameName ? <SameNameWarning /> : null}
      <span className="pb-field">MRN {props.mrn}</span>
      <span className="pb-field">{props.age}</span>
      <span className="pb-field">{props.sex}</span>
      {props.born ? <span className="pb-field">born {props.born}</span> : null}
      {props.bed}
    </>
  );
}

/**
 * The banner as it will be laid out, drawn invisibly in the same place: the name, MRN and bed the alert
 * already carries, and room for an age, a sex and a date of birth. The slot takes the taller of the two,
 * so the banner does not grow — moving Acknowledge below it — as the patient and the bed arrive (at
 * 1024 px in large type it grew by a row, 45 px, after two rows had been kept for it).
 */
function BannerLayout({ expected, sameName }: { expected: BannerExpected; sameName: boolean }) {
  const { patient, bed } = expected;
  return (
    <div className="patient-banner ghost" aria-hidden="true">
      <BannerFields
        name={patient?.name ?? 'Unnamed patient'}
        sameName={sameName}
        mrn={patient?.mrn ?? 'unknown'}
        age="00 y"
        sex="female"
        born={patient?.birthDate ?? '0000-00-00'}
        bed={bed ? <span className="pb-field">{bed}</span> : null}
      />
    </div>
  );
}

export function PatientBanner({
  reference,
  encounter,
  sameName = false,
  expected,
}: {
  reference: string;
  encounter?: string | null;
  /** Another patient in view has the same name. */
  sameName?: boolean;
  /** What the alert says of the patient: the banner keeps room for it from the first frame. */
  expected?: BannerExpected;
}) {
  return (
    <div className="patient-banner-slot">
      {expected ? <BannerLayout expected={expected} sameName={sameName} /> : null}
      <BannerContent reference={reference} encounter={encounter ?? null} sameName={sameName} />
    </div>
  );
}

function BannerContent({
  reference,
  encounter,
  sameName,
}: {
  reference: string;
  encounter: string | null;
  sameName: boolean;
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
  return (
    <div className="patient-banner" role="group" aria-label="Patient">
      <BannerFields
        name={humanName(resource['name']) ?? 'Unnamed patient'}
        sameName={sameName}
        mrn={mrnOf(resource) ?? 'unknown'}
        age={age === null ? 'age unknown' : `${age} y`}
        sex={str(resource['gender']) ?? 'sex unknown'}
        born={str(resource['birthDate'])}
        bed={encounter ? <Bed encounter={encounter} /> : null}
      />
    </div>
  );
}
