// What an acknowledgment must satisfy before it is recorded (the right patient, a critical opened
// first), and what its write-back copies from the result (its ward labels).
import type { AlertSummary, RefusalCode } from '../../shared/api.ts';
import { parseJson, securityLabels } from '../../shared/fhir-json.ts';
import type { ClientStore } from '../store/client-store.ts';
import { labelsToCopy, type SecurityLabel } from './writeback.ts';

/** Why an acknowledgment is refused: the code, the audit's words and the words the user reads. */
export interface AckRefusal {
  code: Extract<RefusalCode, 'wrong-patient' | 'not-opened'>;
  reason: string;
  message: string;
}

/**
 * Why an acknowledgment must not be recorded, or null. The acknowledge control names a patient: when the
 * page says whom it showed, the alert must be about that patient. An open critical must have been opened
 * (seen) by the acknowledging user first, so an acknowledgment always follows a look at the result.
 */
export function ackRefusal(
  alert: AlertSummary,
  shownPatient: string | undefined,
  openedByUser: boolean,
): AckRefusal | null {
  if (shownPatient !== undefined && alert.patient?.reference !== shownPatient)
    return {
      code: 'wrong-patient',
      reason: 'the alert is about a different patient than the one shown',
      message: 'Refused: the alert is about a different patient than the one shown.',
    };
  const open = alert.state === 'new' || alert.state === 'seen' || alert.state === 'escalated';
  if (alert.tier === 'critical' && open && !openedByUser)
    return {
      code: 'not-opened',
      reason: 'a critical result must be opened before it is acknowledged',
      message:
        'Refused: open the result first — this workstation has no record that you opened it (it may have restarted).',
    };
  return null;
}

/** The cached focus resource's ward labels, so the write-back stays on the same ward. */
export function securityOf(store: ClientStore, fhirBase: string, focus: string): SecurityLabel[] {
  const cached = store.cachedResource(fhirBase, focus);
  return cached ? labelsToCopy(securityLabels(parseJson(cached.json))) : [];
}
