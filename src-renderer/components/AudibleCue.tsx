// The audible cue: it sounds when a critical arrives and repeats while any unacknowledged critical has
// not been opened yet by this user; opening it (not acknowledging) is what silences it. On by default,
// switched in Settings (a host preference). When the browser blocks audio until the page is clicked,
// the page says so and offers that click.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { queries } from '../api/queries.ts';
import { onCueAllowed, playCue, playCueAfterPaint, prepareCue } from '../audio/cue.ts';
import { openedBy } from '../feed/ack-gate.ts';
import { derive } from '../feed/derived.ts';
import { useMe } from '../hooks/useSession.ts';
import { useUiStore } from '../state/ui-store.ts';

/** How often the cue repeats while a critical stays unopened. */
export const CUE_REPEAT_MS = 15_000;

export function AudibleCue() {
  const prefs = useQuery(queries.preferences());
  const alerts = useQuery(queries.alerts());
  const { signedIn, me } = useMe();
  const opened = useUiStore((s) => s.opened);
  const live = useUiStore((s) => s.hostLink === 'open');
  const [blocked, setBlocked] = useState(false);
  const enabled = signedIn && live && (prefs.data?.audibleCue ?? true);
  const unopened = useMemo(
    () => derive(alerts.data).openCriticals.filter((a) => !openedBy(a, me, opened[a.id] === true)),
    [alerts.data, me, opened],
  );
  const key = unopened.map((a) => a.id).join(',');
  const heard = useRef(new Set<string>());

  // The audio device is opened ahead of the first critical, while the page is idle.
  useEffect(() => (enabled ? prepareCue() : undefined), [enabled]);

  useEffect(() => {
    if (!enabled || unopened.length === 0) return;
    const sound = () => void playCueAfterPaint().then((played) => setBlocked(!played));
    // A critical not heard before sounds at once; then the cue repeats until all are opened.
    if (unopened.some((a) => !heard.current.has(a.id))) sound();
    for (const a of unopened) heard.current.add(a.id);
    const timer = setInterval(sound, CUE_REPEAT_MS);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the unopened set
  }, [enabled, key]);

  // A click anywhere on the page also lets the audio start: the offer to allow it goes then.
  useEffect(() => (blocked ? onCueAllowed(() => setBlocked(false)) : undefined), [blocked]);

  if (!enabled || unopened.length === 0) return null;
  return (
    <p className="cue" role="status" data-testid="audible-cue">
      <span aria-hidden="true">♪</span>{' '}
      <span className="cue-text">
        Sounding every {CUE_REPEAT_MS / 1000} s for {unopened.length} critical result
        {unopened.length === 1 ? '' : 's'} not yet opened — open {unopened.length === 1 ? 'it' : 'them'} to
        silence.
      </span>
      {blocked ? (
        <button
          type="button"
          className="cue-unblock"
          onClick={() => void playCue().then((played) => setBlocked(!played))}
        >
          The browser blocks the sound: click to allow it
        </button>
      ) : null}
    </p>
  );
}
