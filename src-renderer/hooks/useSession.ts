import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.ts';

/** The signed-in user's fhirUser reference (null when signed out), and whether signed in. */
export function useMe(): { signedIn: boolean; me: string | null; display: string | null } {
  const session = useQuery(queries.session());
  const signedIn = session.data?.state === 'signed-in';
  return {
    signedIn,
    me: signedIn ? (session.data?.user?.fhirUser ?? null) : null,
    display: signedIn ? (session.data?.user?.display ?? null) : null,
  };
}
