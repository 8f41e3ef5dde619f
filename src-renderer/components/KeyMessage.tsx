import { useEffect, useState } from 'react';
import { useUiStore } from '../state/ui-store.ts';

const SHOWN_MS = 8_000;

/** What a key press did not do, and why (a key never silently does nothing). */
export function KeyMessage() {
  const message = useUiStore((s) => s.keyMessage);
  const [expired, setExpired] = useState<number | null>(null);
  useEffect(() => {
    if (!message) return;
    const timer = setTimeout(() => setExpired(message.id), SHOWN_MS);
    return () => clearTimeout(timer);
  }, [message]);
  return (
    <p className="key-message" role="status">
      {message && expired !== message.id ? message.text : ''}
    </p>
  );
}
