// Acknowledge the alert open in the detail — and only that one. The button names the patient and MRN,
// the read-back note belongs to this alert alone, a critical must have been opened first, and a failed
// or refused acknowledgment, or the reason the button is disabled, is always on screen.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { useAcknowledge } from '../api/mutations.ts';
import { queries } from '../api/queries.ts';
import { ackBlocked, openedBy } from '../feed/ack-gate.ts';
import { identityText } from '../feed/identity.ts';
import { isTyping } from '../hooks/useFeedKeys.ts';
import { useMe } from '../hooks/useSession.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';

/** Whether (and why not) the open alert may be acknowledged now. */
export function useAckGate(alert: AlertSummary): string | null {
  const { signedIn, me } = useMe();
  const health = useQuery(queries.health());
  const hostLink = useUiStore((s) => s.hostLink);
  const openedHere = useUiStore((s) => s.opened[alert.id] === true);
  return ackBlocked(alert, {
    hostLink,
    signedIn,
    health: health.data,
    opened: openedBy(alert, me, openedHere),
  });
}

/** The acknowledge button itself, for the alert open in the detail (the detail and the critical list). */
export function AckButton({ alert, compact = false }: { alert: AlertSummary; compact?: boolean }) {
  const { acknowledge, busy } = useAcknowledge();
  const blocked = useAckGate(alert);
  const who = identityText(alert.patient);
  const reasonId = `ack-why-${compact ? 'list' : 'detail'}`;
  return (
    <>
      <button
        type="button"
        className="ack"
        onClick={() => acknowledge(alert)}
        disabled={busy || blocked !== null}
        aria-keyshortcuts="a"
        aria-describedby={blocked ? reasonId : undefined}
        aria-label={`Acknowledge ${alert.headline || 'this alert'} for ${who}`}
      >
        Acknowledge{compact ? '' : <> — {who}</>} <kbd>a</kbd>
      </button>
      {blocked ? (
        <span id={reasonId} className="ack-blocked" role="status">
          {blocked}
        </span>
      ) : null}
    </>
  );
}

/** The note for this alert, the button, and what became of the last attempt. */
export function AckPanel({ alert }: { alert: AlertSummary }) {
  const note = useUiStore((s) => s.notes[alert.id] ?? '');
  const outcome = useUiStore((s) => s.ackOutcomes[alert.id]);
  return (
    <div className="ack-panel">
      <label className="ack-note">
        Read-back note (optional)
        <input
          type="text"
          value={note}
          maxLength={500}
          onChange={(e) => uiActions.setNote(alert.id, e.target.value)}
          // Escape leaves the note (as it leaves the search box), so j/k/a work again, not typed into it.
          onKeyDown={(e) => {
            if (e.key === 'Escape') e.currentTarget.blur();
          }}
        />
      </label>
      <div className="ack-row">
        <AckButton alert={alert} />
      </div>
      {outcome ? (
        <p className={`ack-outcome ack-${outcome.kind}`} role="alert">
          <span aria-hidden="true">⚠</span> {outcome.text}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The `a` key, bound to the alert open in the detail and nothing else: wherever the feed's cursor is,
 * `a` acknowledges what the nurse is looking at, or says why it did not.
 */
export function AckShortcut({ alert }: { alert: AlertSummary }) {
  const { acknowledge, busy } = useAcknowledge();
  const blocked = useAckGate(alert);
  const latest = useRef({ alert, blocked, busy, acknowledge });
  useEffect(() => {
    latest.current = { alert, blocked, busy, acknowledge };
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'a' || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target))
        return;
      event.preventDefault();
      const current = latest.current;
      if (current.busy) return;
      if (current.blocked) {
        uiActions.keyMessage(`Not acknowledged: ${current.blocked}`);
        return;
      }
      current.acknowledge(current.alert);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return null;
}
