// Window state remembered across launches: bounds and maximized, saved atomically on
// move/resize (debounced) and on close, restored clamped to a display that is still attached, so a
// window last seen on an unplugged monitor comes back on a visible one.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { BrowserWindow, Rectangle, Screen } from 'electron';
import { z } from 'zod';

const stateSchema = z
  .object({
    x: z.number().int(),
    y: z.number().int(),
    width: z.number().int().min(1).max(100_000),
    height: z.number().int().min(1).max(100_000),
    maximized: z.boolean(),
  })
  .strict();

export type WindowState = z.infer<typeof stateSchema>;

export const DEFAULT_SIZE = { width: 1280, height: 820 };
const MIN_SIZE = { width: 640, height: 480 };
/** A window must show at least this much of itself on some display to stay where it was. */
const MIN_VISIBLE = 100;

export function loadWindowState(file: string): WindowState | null {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function saveWindowState(file: string, state: WindowState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, file);
}

function overlap(a: Rectangle, b: Rectangle): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * Bounds to open with: the saved ones if enough of the window is on an attached display (size capped to
 * that display's work area, position moved inside it), else centred on the primary display.
 */
export function clampToDisplays(
  saved: WindowState | null,
  workAreas: readonly Rectangle[],
  primary: Rectangle,
): Rectangle {
  const centred = (area: Rectangle, width: number, height: number): Rectangle => {
    const w = Math.min(width, area.width);
    const h = Math.min(height, area.height);
    return {
      x: area.x + Math.round((area.width - w) / 2),
      y: area.y + Math.round((area.height - h) / 2),
      width: w,
      height: h,
    };
  };
  if (!saved) return centred(primary, DEFAULT_SIZE.width, DEFAULT_SIZE.height);
  let best: { area: Rectangle; size: number } | null = null;
  for (const area of workAreas) {
    const o = overlap(saved, area);
    if (o.width >= MIN_VISIBLE && o.height >= MIN_VISIBLE && (!best || o.width * o.height > best.size))
      best = { area, size: o.width * o.height };
  }
  if (!best)
    return centred(primary, Math.max(saved.width, MIN_SIZE.width), Math.max(saved.height, MIN_SIZE.height));
  const { area } = best;
  const width = Math.min(Math.max(saved.width, MIN_SIZE.width), area.width);
  const height = Math.min(Math.max(saved.height, MIN_SIZE.height), area.height);
  const x = Math.min(Math.max(saved.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(saved.y, area.y), area.y + area.height - height);
  return { x, y, width, height };
}

/** Restore the saved state onto `window` and keep saving it; returns the stop function. */
export function manageWindowState(window: BrowserWindow, file: string, screen: Screen): () => void {
  const saved = loadWindowState(file);
  const bounds = clampToDisplays(
    saved,
    screen.getAllDisplays().map((d) => d.workArea),
    screen.getPrimaryDisplay().workArea,
  );
  window.setBounds(bounds);
  if (saved?.maximized) window.maximize();

  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (window.isDestroyed()) return;
    const normal = window.getNormalBounds();
    try {
      saveWindowState(file, { ...normal, maximized: window.isMaximized() });
    } catch {
      // A read-only profile must not break the window; the next launch uses defaults.
    }
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const)
    window.on(event as 'resize', later);
  window.on('close', save);
  return () => {
    if (timer) clearTimeout(timer);
  };
}
