import { distinguisher, type PatientLike } from '../feed/identity.ts';

/** Shown beside everyone who shares a name with another patient in view. */
export function SameNameWarning({ name }: { name?: string | null | undefined }) {
  return (
    <span className="same-name" title="Another patient in view has the same name: check the MRN">
      <span aria-hidden="true">⚠</span> same name{name ? ` as another ${name}` : ''}
    </span>
  );
}

/** "Omar Garcia · MRN PT-0001" with a same-name warning; "Unknown patient" for none. */
export function PatientIdentity({
  patient,
  sameName,
  className = 'identity',
}: {
  patient: PatientLike;
  sameName: boolean;
  className?: string;
}) {
  if (!patient) return <span className={className}>Unknown patient</span>;
  const extra = distinguisher(patient);
  return (
    <span className={className}>
      <span className="identity-name">{patient.name ?? patient.reference}</span>
      {extra ? <span className="identity-id"> · {extra}</span> : null}
      {sameName ? (
        <>
          {' '}
          <SameNameWarning />
        </>
      ) : null}
    </span>
  );
}
