import { useUiStore } from '../state/ui-store.ts';

/** Screen readers hear each new critical once (assertive); the region itself is visually hidden. */
export function LiveAnnouncer() {
  const announcement = useUiStore((s) => s.announcement);
  return (
    <div className="visually-hidden" aria-live="assertive" aria-atomic="true" data-testid="announcer">
      {announcement ? <span key={announcement.id}>{announcement.text}</span> : null}
    </div>
  );
}
