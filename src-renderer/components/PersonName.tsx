import { useQuery } from '@tanstack/react-query';
import { humanName } from '../../src-main/shared/fhir-json.ts';
import { queries } from '../api/queries.ts';
import { useMe } from '../hooks/useSession.ts';

const PERSON = /^(Practitioner|PractitionerRole|Person|RelatedPerson|Patient)\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * A person by name ("Alex Rivera, RN"), never by reference: the signed-in user from the session,
 * anyone else from their resource on the server; the reference only if no name can be read.
 */
export function PersonName({ reference }: { reference: string }) {
  const { me, display } = useMe();
  const own = reference === me && display;
  const person = useQuery({
    ...queries.resource(PERSON.test(reference) ? reference : 'Practitioner/none'),
    enabled: !own && PERSON.test(reference),
  });
  const name = own ? display : humanName(person.data?.resource?.['name']);
  return <>{name ?? reference}</>;
}
