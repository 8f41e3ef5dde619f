import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { humanName } from '../../src-main/shared/fhir-json.ts';
import { queries } from '../api/queries.ts';
import { derive } from '../feed/derived.ts';
import { sameNameReferences } from '../feed/identity.ts';

/**
 * Patients who share their name with another patient in view: every alert loaded, and the ward board's
 * census when it has been loaded (never fetched just for this).
 */
export function useSameNames(): Set<string> {
  const alerts = useQuery(queries.alerts());
  const board = useQuery({ ...queries.wardBoard(), enabled: false });
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
