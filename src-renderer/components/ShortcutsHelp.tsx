import { useEffect, useRef } from 'react';
import { uiActions, useUiStore } from '../state/ui-store.ts';

const FEED_SHORTCUTS: [string, string][] = [
  ['j or ↓', 'next alert'],
  ['k or ↑', 'previous alert'],
  ['Enter', 'open the alert'],
  ['a', 'acknowledge the alert open in the detail (never the one under the cursor)'],
  ['/', 'search the feed'],
  ['Esc', 'leave the search box (the filter stays)'],
  ['?', 'show or hide this list'],
  ['Esc', 'close this list'],
];

/** The pharmacist's worklist (hooks/useWorklistKeys.ts). */
const WORKLIST_SHORTCUTS: [string, string][] = [
  ['j or ↓', 'next order (its review opens)'],
  ['k or ↑', 'previous order'],
  ['Enter', 'open the order whose row has the focus'],
  ['/', 'filter by patient'],
  ['?', 'show or hide this list'],
  ['Esc', 'close this list'],
];

/** The keys of the view on screen: the worklist's on the pharmacist's worklist, else the feed's. */
export function ShortcutsHelp({ worklist }: { worklist: boolean }) {
  const open = useUiStore((s) => s.showShortcuts);
  const shortcuts = worklist ? WORKLIST_SHORTCUTS : FEED_SHORTCUTS;
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="shortcuts"
      aria-labelledby="shortcuts-title"
      onClose={() => uiActions.toggleShortcuts(false)}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl>
        {shortcuts.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={() => uiActions.toggleShortcuts(false)}>
        Close
      </button>
    </dialog>
  );
}
