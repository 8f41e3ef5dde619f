import { useEffect, useRef } from 'react';
import { uiActions, useUiStore } from '../state/ui-store.ts';

const SHORTCUTS: [string, string][] = [
  ['j or ↓', 'next alert'],
  ['k or ↑', 'previous alert'],
  ['Enter', 'open the alert'],
  ['a', 'acknowledge the alert open in the detail (never the one under the cursor)'],
  ['/', 'search the feed'],
  ['Esc', 'leave the search box (the filter stays)'],
  ['?', 'show or hide this list'],
  ['Esc', 'close this list'],
];

export function ShortcutsHelp() {
  const open = useUiStore((s) => s.showShortcuts);
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
        {SHORTCUTS.map(([key, what]) => (
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
