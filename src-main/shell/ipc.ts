// IPC handlers: every call checks that it comes from our own window's main frame on app:// and
// validates its argument against the shared schema before the core sees it.
import type { IpcMain, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import { ApiRefusedError, parseApiArgs, type MonitorHandlers } from '../shared/api.ts';
import { API_METHODS, ipcChannel } from '../shared/ipc.ts';

export const APP_ORIGIN = 'app://monitor';

/**
 * True for URLs on app://monitor. Compares scheme and host: Node's URL gives custom schemes an opaque
 * origin ("null"), so `origin ===` would never match.
 */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'app:' && parsed.host === 'monitor';
  } catch {
    return false;
  }
}

/** Only the top frame of a page served from our own app:// origin may call the API. */
export function isTrustedSender(frame: WebFrameMain | null | undefined): boolean {
  return !!frame && frame.parent === null && isAppUrl(frame.url);
}

export function registerIpcHandlers(ipcMain: IpcMain, handlers: MonitorHandlers): () => void {
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, raw: unknown) => {
      if (!isTrustedSender(event.senderFrame))
        throw new Error(`${method}: refused, sender is not the app window`);
      const args = parseApiArgs(method, raw);
      const handler = handlers[method] as (a: unknown) => Promise<unknown>;
      try {
        return await handler(args);
      } catch (error) {
        // Only the message crosses IPC: mark a refusal so the page tells it from a failure
        // (src-renderer/api/refusal.ts reads the mark back).
        if (error instanceof ApiRefusedError)
          throw new Error(`[refused:${error.code}] ${error.message}`, { cause: error });
        throw error;
      }
    });
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(ipcChannel(method));
  };
}
