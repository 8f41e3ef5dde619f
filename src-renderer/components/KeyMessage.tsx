import { useEffect } from 'react';
import { uiActions, useUiStore } from '../state/ui-store.ts';

const SHOWN_MS = 8_000;

/**
 * What a key press did not do, and why (a key never silently does nothing). Shown for SHOWN_MS, then
 * cleared in the store: a view mounted later (back from Health) never brings an old message back.
 */
export function KeyMessage() {
  const message = useUiStore((s) => s.keyMessage);
  useEffect(() => {
    if (!message) return;
    // From when it was said, not from when this view mounted.
    const left = Math.max(0, message.at + SHOWN_MS - Date.now());
    const timer = setTimeout(() => uiActions.clearKeyMessage(message.id), left);
    return () => clearTimeout(timer);
  }, [message]);
  return (
    <p className="key-message" role="status">
      {message ? message.text : ''}
    </p>
  );
}
