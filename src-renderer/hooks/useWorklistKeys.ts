// The worklist's keys, for a pharmacist working down the list: j/k or the arrows open the next or the
// previous order's review (and focus its row), / goes to the patient filter, ? lists the keys. Enter on
// a focused row opens it (a button). Keys typed into a field are the field's.
import { useEffect, useRef } from 'react';
import type { WorklistItem } from '../../src-main/shared/api.ts';
import { orderAfter } from '../fhir/queue.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { listenForPlainKeys } from './useFeedKeys.ts';

export function useWorklistKeys(items: readonly WorklistItem[]): void {
  const orders = useRef(items.map((i) => i.order));
  useEffect(() => {
    orders.current = items.map((i) => i.order);
  });
  useEffect(() => {
    const move = (delta: number) => {
      // The open order as the store holds it now, not as last rendered: two quick presses move twice.
      const next = orderAfter(orders.current, useUiStore.getState().selectedOrder, delta);
      if (!next) return;
      uiActions.selectOrder(next);
      requestAnimationFrame(() =>
        document.querySelector<HTMLButtonElement>(`.queue-open[data-order="${CSS.escape(next)}"]`)?.focus(),
      );
    };
    return listenForPlainKeys((event) => {
      switch (event.key) {
        case 'j':
        case 'ArrowDown':
          move(1);
          return true;
        case 'k':
        case 'ArrowUp':
          move(-1);
          return true;
        case '/':
          document.getElementById('worklist-patient')?.focus();
          return true;
        case '?':
          uiActions.toggleShortcuts();
          return true;
        default:
          return false;
      }
    });
  }, []);
}
