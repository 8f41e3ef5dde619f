// The feed's keys: j/k or the arrows move the cursor, Enter opens the alert under it, / searches, ? lists
// the shortcuts. `a` belongs to the alert open in the detail (AckShortcut in AckPanel.tsx); here it only
// explains itself when nothing is open, so a key press never silently does nothing.
import { useEffect, useRef, type RefObject } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import type { RowScroller } from '../feed/use-fixed-rows.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return (
    !!el &&
    (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable)
  );
}

/**
 * Listen for plain key presses on the page (no modifier, nothing typed into a field). `handle` says
 * whether it acted on the key; a key it acted on does nothing else. Returns the removal.
 */
export function listenForPlainKeys(handle: (event: KeyboardEvent) => boolean): () => void {
  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (handle(event)) event.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}

export function useFeedKeys(
  visible: readonly AlertSummary[],
  scrollRef: RefObject<HTMLDivElement | null>,
  virtualizer: RowScroller,
): void {
  const shown = useRef(visible);
  useEffect(() => {
    shown.current = visible;
  });
  useEffect(() => {
    const move = (delta: number) => {
      const rows = shown.current;
      // The cursor as the store holds it now: a key pressed before the page rendered the previous
      // move starts from that move, not from the render before it.
      const { cursorId: cur, selectedAlertId: sel } = useUiStore.getState();
      if (rows.length === 0) return;
      const from = rows.findIndex((a) => a.id === (cur ?? sel));
      const index = from < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, from + delta));
      const target = rows[index];
      if (!target) return;
      uiActions.moveCursor(target.id);
      virtualizer.scrollToIndex(index, { align: 'auto' });
      requestAnimationFrame(() =>
        scrollRef.current
          ?.querySelector<HTMLButtonElement>(`[data-alert-id="${CSS.escape(target.id)}"]`)
          ?.focus(),
      );
    };
    return listenForPlainKeys((event) => {
      const inFeed = !!scrollRef.current?.contains(event.target as Node);
      switch (event.key) {
        case 'j':
          move(1);
          return true;
        case 'k':
          move(-1);
          return true;
        case 'ArrowDown':
          if (!inFeed) return false;
          move(1);
          return true;
        case 'ArrowUp':
          if (!inFeed) return false;
          move(-1);
          return true;
        case 'Enter': {
          const cur = useUiStore.getState().cursorId;
          if (!cur || (!inFeed && event.target !== document.body)) return false;
          uiActions.openAlert(cur);
          return true;
        }
        case 'a':
          if (useUiStore.getState().selectedAlertId) return false; // the open alert's own shortcut acts
          uiActions.keyMessage(
            'Nothing is open: press Enter to open the alert under the cursor. “a” acknowledges only the alert open in the detail.',
          );
          return true;
        case '/':
          document.getElementById('feed-search')?.focus();
          return true;
        case '?':
          uiActions.toggleShortcuts();
          return true;
        default:
          return false;
      }
    });
  }, [virtualizer, scrollRef]);
}
