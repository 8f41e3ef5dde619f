// The renderer's only door to the host. In Electron the preload exposes `window.monitorApi`; in the
// browser host the same calls go over same-origin HTTP and pushed events arrive over SSE. Components
// import `api` from here and never know which host they run in.
import type { ApiMethod, HostEvent, MonitorApi } from '../../src-main/shared/api.ts';
import { field, str } from '../../src-main/shared/fhir-json.ts';

declare global {
  interface Window {
    monitorApi?: MonitorApi;
  }
}

type Listener = (event: HostEvent) => void;

/** Connection state of the browser host's event stream (Electron IPC has no such failure mode). */
export type HostLink = 'connecting' | 'open' | 'lost';
const linkListeners = new Set<(link: HostLink) => void>();
export function onHostLink(listener: (link: HostLink) => void): () => void {
  linkListeners.add(listener);
  return () => linkListeners.delete(listener);
}

function createHttpBridge(): MonitorApi {
  const listeners = new Set<Listener>();
  let source: EventSource | null = null;

  const openStream = () => {
    if (source) return;
    const stream = new EventSource('/api/events');
    source = stream;
    linkListeners.forEach((l) => l('connecting'));
    stream.onopen = () => linkListeners.forEach((l) => l('open'));
    // Any error means pushes may have been missed: show it as lost until the stream reopens (EventSource
    // retries on its own while CONNECTING; CLOSED means the host refused us, e.g. a restarted host).
    stream.onerror = () => linkListeners.forEach((l) => l('lost'));
    stream.addEventListener('host-event', (message) => {
      let event: HostEvent;
      try {
        event = JSON.parse((message as MessageEvent<string>).data) as HostEvent;
      } catch {
        return;
      }
      listeners.forEach((listener) => listener(event));
    });
  };

  const call = async (method: ApiMethod, args: unknown): Promise<unknown> => {
    const response = await fetch(`/api/call/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(args ?? {}),
      credentials: 'same-origin',
    });
    const body: unknown = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(str(field(body, 'error')) ?? `${method} failed (${response.status})`);
    return field(body, 'result');
  };

  return new Proxy({} as MonitorApi, {
    get(_target, property) {
      if (property === 'onEvent') {
        return (listener: Listener) => {
          listeners.add(listener);
          openStream();
          return () => listeners.delete(listener);
        };
      }
      return (args: unknown) => call(property as ApiMethod, args);
    },
  });
}

export const api: MonitorApi = window.monitorApi ?? createHttpBridge();
