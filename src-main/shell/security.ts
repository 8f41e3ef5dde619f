// App-wide guards installed once: no new windows, no navigation away from app://, no webviews, and
// every permission request denied (notifications are raised by the main process, not the page).
import type { App, Session, WebContents } from 'electron';
import { isAppUrl } from './ipc.ts';

export { isAppUrl };

export function guardWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function installSecurityGuards(app: App): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
}
