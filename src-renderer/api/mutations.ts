// Mutations shared by the feed (keyboard `a`), the detail panel, the critical list and the order queue.
//
// The results are not written into the cache: the host pushes an `alert` event for every change it
// makes, in order, and that stream is the feed's only writer. A call's own response could arrive after
// a newer pushed event (the write-back finishing, say) and would then put older state back on screen.
import { useIsMutating, useMutation } from '@tanstack/react-query';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { shownPatient, unrecordedText } from '../feed/ack-gate.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { api } from './bridge.ts';
import { ActionRefusedError } from './refusal.ts';

const ACKNOWLEDGE = ['acknowledge'];

/**
 * Acknowledge one alert: the one open in the detail (callers never pass another). Sends the note typed
 * for that alert only and the patient shown, records a failure or refusal on that alert, and clears the
 * note once the host recorded it.
 */
export function useAcknowledge() {
  const mutation = useMutation({
    mutationKey: ACKNOWLEDGE,
    mutationFn: (args: { alertId: string; note?: string; patient?: string }) => api.acknowledge(args),
  });
  const busy = useIsMutating({ mutationKey: ACKNOWLEDGE }) > 0;
  const acknowledge = (alert: AlertSummary, note?: string) => {
    const text = (note ?? useUiStore.getState().notes[alert.id] ?? '').trim();
    const patient = shownPatient(alert);
    uiActions.setAckOutcome(alert.id, null);
    mutation.mutate(
      { alertId: alert.id, ...(text ? { note: text } : {}), ...(patient ? { patient } : {}) },
      {
        onSuccess: (answer) => {
          if (answer && (answer.state === 'acknowledged' || answer.state === 'resolved')) {
            uiActions.clearNote(alert.id);
            // A key's "Not acknowledged: …" from before no longer applies.
            uiActions.clearKeyMessage();
            return;
          }
          uiActions.setAckOutcome(alert.id, { kind: 'refused', text: unrecordedText(answer) });
        },
        onError: (error) =>
          uiActions.setAckOutcome(
            alert.id,
            error instanceof ActionRefusedError
              ? { kind: 'refused', text: `${error.message} Nothing was recorded.` }
              : {
                  kind: 'failed',
                  text: `Not recorded: ${error.message} Try again when the connection is back.`,
                },
          ),
      },
    );
  };
  return { acknowledge, busy };
}

export function useMarkSeen() {
  return useMutation({
    mutationFn: (alertId: string) => api.markSeen({ alertId }),
    onSuccess: (answer, alertId) => {
      if (answer) uiActions.markOpened(alertId);
    },
  });
}

export function useResolve() {
  return useMutation({ mutationFn: (args: { alertId: string; note?: string }) => api.resolveAlert(args) });
}

/** A pharmacist's decision on one order; the host answers whether it was recorded, and why not. */
export function useDecideOrder() {
  return useMutation({
    mutationFn: (args: {
      order: string;
      decision: 'verify' | 'reject' | 'clarify';
      reason?: string;
      overrides: { flag: string; reason: string }[];
    }) => api.decideOrder(args),
  });
}

export function useRetryWriteback() {
  return useMutation({ mutationFn: (alertId: string) => api.retryWriteback({ alertId }) });
}
