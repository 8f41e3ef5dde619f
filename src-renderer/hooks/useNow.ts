import { useEffect, useState } from 'react';
import { useUiStore } from '../state/ui-store.ts';

/** The current time, re-rendering every `intervalMs` (timers, countdowns, heartbeat ages). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * The time for live timers: it stops while the host link is not open, so a page that no longer
 * receives anything does not look alive (the critical list then says since when it is not updating).
 */
export function useLiveNow(intervalMs = 1000): { now: number; live: boolean } {
  const live = useUiStore((s) => s.hostLink === 'open');
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, live]);
  return { now, live };
}
