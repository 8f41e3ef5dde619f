// Tray icon with the unacknowledged-critical count. Kept in a module-level reference by
// the caller (GC would remove it), always with a context menu (Linux AppIndicator often delivers no
// click events), icon swapped to red while criticals wait; the count also goes on the dock/launcher
// badge where the platform has one.
import { app, Menu, nativeImage, Tray } from 'electron';
import type { AlertingStatus } from '../shared/api.ts';

const IDLE_ICON =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAPElEQVR42mNgoDbQ0ND4jw8TpbmiqQcrxmsIPo3YDCLJZoIuIUUzVleMGkAlAyiKRooTElWSMlUyEzkAAP5ufsxh87alAAAAAElFTkSuQmCC';
const ALERT_ICON =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAPElEQVR42mNgoDbQ0ND4jw8TpfmEnBxWjNcQfBqxGUSSzQRdQopmrK4YNYBKBlAUjRQnJKokZapkJnIAAEvJP9TlU2aDAAAAAElFTkSuQmCC';

export interface AlertTray {
  update(status: Pick<AlertingStatus, 'unacknowledgedCritical' | 'escalated'>): void;
  destroy(): void;
}

export interface TrayActions {
  open(): void;
  quit(): void;
}

/** "3 unacknowledged critical (1 escalated)" / "No unacknowledged critical results". */
export function trayLabel(status: Pick<AlertingStatus, 'unacknowledgedCritical' | 'escalated'>): string {
  const n = status.unacknowledgedCritical;
  if (n === 0) return 'No unacknowledged critical results';
  const escalated = status.escalated > 0 ? ` (${status.escalated} escalated)` : '';
  return `${n} unacknowledged critical${escalated}`;
}

export function createAlertTray(actions: TrayActions): AlertTray {
  const tray = new Tray(nativeImage.createFromDataURL(IDLE_ICON));
  let lastCount = -1;
  const render = (status: Pick<AlertingStatus, 'unacknowledgedCritical' | 'escalated'>) => {
    const label = trayLabel(status);
    tray.setToolTip(`Alert Monitor — ${label}`);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label, enabled: false },
        { type: 'separator' },
        { label: 'Open Alert Monitor', click: () => actions.open() },
        { label: 'Quit', click: () => actions.quit() },
      ]),
    );
    const count = status.unacknowledgedCritical;
    if (count !== lastCount) {
      tray.setImage(nativeImage.createFromDataURL(count > 0 ? ALERT_ICON : IDLE_ICON));
      // macOS shows the title beside the icon; elsewhere it is ignored.
      tray.setTitle(count > 0 ? String(count) : '');
      app.setBadgeCount(count);
      lastCount = count;
    }
  };
  tray.on('click', () => actions.open());
  render({ unacknowledgedCritical: 0, escalated: 0 });
  return {
    update: render,
    destroy: () => tray.destroy(),
  };
}
