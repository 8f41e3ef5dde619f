// Windowing for the feed's rows, which all have one height (the CSS gives every row the same height
// per type size): the rows on screen follow from the scroll position by arithmetic, so a push into a
// 100,000-row feed costs the same as into a 100-row one. A general virtualizer rebuilds a measurement
// for every row whenever the count changes — at each push, 100,000 objects.
import { useLayoutEffect, useMemo, useState, type RefObject } from 'react';

export interface FixedRow {
  index: number;
  key: string | number;
  /** Offset from the top of the list, px. */
  start: number;
}

export interface FixedRows {
  items: FixedRow[];
  totalSize: number;
  /** Scroll just enough to show a row (the keyboard cursor); the same object across renders. */
  scroller: RowScroller;
}

export interface RowScroller {
  scrollToIndex(index: number, options?: { align?: 'auto' }): void;
}

export interface FixedRowsOptions {
  count: number;
  rowHeight: number;
  /** Rows rendered beyond each edge of the viewport. */
  overscan: number;
  scrollRef: RefObject<HTMLElement | null>;
  keyOf(index: number): string | number;
}

interface Viewport {
  top: number;
  height: number;
}

/** The first and last (exclusive) rows to render for a viewport. */
export function rowRange(
  viewport: Viewport,
  count: number,
  rowHeight: number,
  overscan: number,
): { first: number; last: number } {
  const first = Math.max(0, Math.floor(viewport.top / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((viewport.top + viewport.height) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}

/** The scroll position that shows row `index` whole, moving as little as possible (null: no move). */
export function scrollFor(index: number, rowHeight: number, viewport: Viewport): number | null {
  const top = index * rowHeight;
  if (top < viewport.top) return top;
  if (top + rowHeight > viewport.top + viewport.height) return top + rowHeight - viewport.height;
  return null;
}

export function useFixedRows(options: FixedRowsOptions): FixedRows {
  const { count, rowHeight, overscan, scrollRef, keyOf } = options;
  const [viewport, setViewport] = useState<Viewport>({ top: 0, height: 0 });
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    const update = () =>
      setViewport((v) =>
        v.top === element.scrollTop && v.height === element.clientHeight
          ? v
          : { top: element.scrollTop, height: element.clientHeight },
      );
    update();
    element.addEventListener('scroll', update, { passive: true });
    const resize = new ResizeObserver(update);
    resize.observe(element);
    return () => {
      element.removeEventListener('scroll', update);
      resize.disconnect();
    };
  }, [scrollRef]);
  const { first, last } = rowRange(viewport, count, rowHeight, overscan);
  const items: FixedRow[] = [];
  for (let index = first; index < last; index += 1)
    items.push({ index, key: keyOf(index), start: index * rowHeight });
  const scroller = useMemo<RowScroller>(
    () => ({
      scrollToIndex: (index) => {
        const element = scrollRef.current;
        if (!element) return;
        const to = scrollFor(index, rowHeight, { top: element.scrollTop, height: element.clientHeight });
        if (to !== null) element.scrollTop = to;
      },
    }),
    [scrollRef, rowHeight],
  );
  return { items, totalSize: count * rowHeight, scroller };
}
