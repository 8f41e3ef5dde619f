// A call the host turned away by its access rules ("Sign in to act on alerts.", "Not permitted: …"):
// nothing changed, and the words say what to do. It is told apart from a call that failed, whose advice
// is to try again. The browser host answers such a call 403 with `refused` (src-main/browser-host/host.ts);
// over Electron's IPC only an error's message crosses, so the shell marks it there
// (`[refused:<code>] <words>`, src-main/shell/ipc.ts) and the page reads the mark back here.
import type { MonitorApi } from '../../src-main/shared/api.ts';

export class ActionRefusedError extends Error {
  override readonly name = 'ActionRefusedError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Electron wraps a handler's error ("Error invoking remote method 'api:x': Error: …"): the mark is inside. */
const IPC_REFUSAL = /\[refused:([a-z-]+)\] ([\s\S]*)$/;

/** The refusal an IPC call's error carries, or null for any other error. */
export function refusalFromIpc(error: unknown): ActionRefusedError | null {
  const match = error instanceof Error ? IPC_REFUSAL.exec(error.message) : null;
  return match ? new ActionRefusedError(match[1] ?? 'refused', match[2] ?? '') : null;
}

/** The preload's API with IPC refusals turned back into ActionRefusedError, as the HTTP bridge throws them. */
export function withIpcRefusals(api: MonitorApi): MonitorApi {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'onEvent' || typeof value !== 'function') return value;
      return (args: unknown) =>
        (value as (a: unknown) => Promise<unknown>)(args).catch((error: unknown) => {
          throw refusalFromIpc(error) ?? error;
        });
    },
  });
}
