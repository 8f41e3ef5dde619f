import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { humanName } from '../../src-main/shared/fhir-json.ts';
import { queries } from '../api/queries.ts';
import { derive } from '../feed/derived.ts';
import { sameNameReferences } from '../feed/identity.ts';

/** How often the feed re-reads the ward's census for names (the Ward board view reads it more often). */
const CENSUS_RECHECK_MS = 5 * 60_000;

/**
 * Patients who share their name with another patient in view: every alert loaded, and, for a nurse,
 * the ward's census: the other Omar Garcia may have no alert at all, and the warning must not depend
 * on someone having opened the Ward board first.
 */
export function useSameNames(): Set<string> {
  const alerts = useQuery(queries.alerts());
  const session = useQuery(queries.session());
  const nurse = session.data?.state === 'signed-in' && session.data.role === 'nurse';
  const board = useQuery({
    ...queries.wardBoard(),
    enabled: nurse,
    refetchInterval: CENSUS_RECHECK_MS,
    staleTime: CENSUS_RECHECK_MS / 2,
  });
  return useMemo(() => {
    const fromAlerts = derive(alerts.data).sameNames;
    if (!board.data) return fromAlerts;
    const fromBoard = board.data.patients.map((p) => ({
      reference: `Patient/${p.id ?? ''}`,
      name: humanName(p['name']),
    }));
    const patients = (alerts.data ?? []).slice(0, 5000).map((a) => a.patient);
    return sameNameReferences([...patients, ...fromBoard]);
  }, [alerts.data, board.data]);
}
