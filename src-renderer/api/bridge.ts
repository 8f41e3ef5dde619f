// The renderer's only door to the host. In Electron the preload exposes `window.monitorApi`; in the
// browser host the same calls go over same-origin HTTP and pushed events arrive over SSE. Components
// import `api` from here and never know which host they run in.
//
// The browser host can go away (killed, restarted) while the page stays open. The page then says so
// (`lost`: unreachable; `refused`: the host is up but does not accept this page's session cookie) and
// keeps trying by itself, with its cookie, until the host answers again; the event stream is reopened
// for the listeners already registered, and App refetches everything once the link is open again.
import type { ApiMethod, HostEvent, MonitorApi } from '../../src-main/shared/api.ts';
import { field, str } from '../../src-main/shared/fhir-json.ts';
import { ActionRefusedError, withIpcRefusals } from './refusal.ts';

declare global {
  interface Window {
    monitorApi?: MonitorApi;
  }
}

type Listener = (event: HostEvent) => void;

/** Connection state of the browser host's event stream (Electron IPC has no such failure mode). */
export type HostLink = 'connecting' | 'open' | 'lost' | 'refused';
const linkListeners = new Set<(link: HostLink) => void>();
export function onHostLink(listener: (link: HostLink) => void): () => void {
  linkListeners.add(listener);
  return () => linkListeners.delete(listener);
}
const setLink = (link: HostLink) => linkListeners.forEach((l) => l(link));

/** Reconnection attempts back off from 1 s to this, so a long outage costs little. */
const MAX_RETRY_MS = 8_000;

/** A call the host turned away because this page's session is not (or no longer) accepted. */
export class HostRefusedError extends Error {
  override readonly name = 'HostRefusedError';
}

/** Does the host answer, and accept this page's cookie? */
async function probe(): Promise<'ok' | 'refused' | 'down'> {
  try {
    const response = await fetch('/api/call/getHostInfo', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
      credentials: 'same-origin',
    });
    if (response.status === 401 || response.status === 403) return 'refused';
    return response.ok ? 'ok' : 'down';
  } catch {
    return 'down';
  }
}

function createHttpBridge(): MonitorApi {
  const listeners = new Set<Listener>();
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;

  const deliver = (message: MessageEvent<string>) => {
    let event: HostEvent;
    try {
      event = JSON.parse(message.data) as HostEvent;
    } catch {
      return;
    }
    listeners.forEach((listener) => listener(event));
  };

  /** Probe, then reopen the stream; until it opens, keep saying why not. */
  const scheduleReconnect = () => {
    if (retry) return;
    const delay = Math.min(MAX_RETRY_MS, 1000 * 2 ** attempt);
    attempt += 1;
    retry = setTimeout(() => {
      retry = null;
      void probe().then((outcome) => {
        if (outcome === 'ok') return openStream();
        setLink(outcome === 'refused' ? 'refused' : 'lost');
        scheduleReconnect();
      });
    }, delay);
  };

  const openStream = () => {
    if (source) return;
    const stream = new EventSource('/api/events');
    source = stream;
    setLink('connecting');
    stream.onopen = () => {
      attempt = 0;
      setLink('open');
    };
    // Any error means pushes may have been missed. While CONNECTING the browser retries by itself; CLOSED
    // means the host refused the stream (a restarted host that does not know this page): the bridge then
    // probes and reopens it itself.
    stream.onerror = () => {
      if (stream.readyState !== EventSource.CLOSED) return setLink('lost');
      stream.close();
      if (source === stream) source = null;
      void probe().then((outcome) => setLink(outcome === 'refused' ? 'refused' : 'lost'));
      scheduleReconnect();
    };
    stream.addEventListener('host-event', deliver);
  };

  const call = async (method: ApiMethod, args: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`/api/call/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args ?? {}),
        credentials: 'same-origin',
      });
    } catch {
      throw new Error('The monitor host is not reachable.');
    }
    const body: unknown = await response.json().catch(() => ({}));
    // Refused by the workstation's access rules: the page's session is fine, the action is not.
    const refused = response.status === 403 ? str(field(body, 'refused')) : null;
    if (refused) throw new ActionRefusedError(refused, str(field(body, 'error')) ?? 'Refused.');
    if (response.status === 401 || response.status === 403) {
      // The stream will fail too, if it has not yet; make sure the page keeps trying.
      if (!source) scheduleReconnect();
      throw new HostRefusedError('The monitor host does not accept this page’s session.');
    }
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

/** In Electron the IPC link is part of the process: it is open from the start. */
export const INITIAL_LINK: HostLink = window.monitorApi ? 'open' : 'connecting';

export const api: MonitorApi = window.monitorApi ? withIpcRefusals(window.monitorApi) : createHttpBridge();
