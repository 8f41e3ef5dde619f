// The standard FHIR websocket channel (R5 / backport): `$get-ws-binding-token`, connect to the
// returned `websocket-url`, `bind-with-token`, re-bind before expiry. The access token never goes to
// the websocket; only the short-lived binding token does. Catch-up after a reconnect (`$events`) is the
// pipeline's job: it sees onState('live', 'reconnected').
import WebSocket from 'ws';
import type { RawData } from 'ws';
import { choice, field, isResource, namedParameters, parseJson } from '../../shared/fhir-json.ts';
import { parseNotificationBundle } from '../notifications/parse-bundle.ts';
import { backoffDelayMs, DEFAULT_BACKOFF, parseRetryAfterMs } from './backoff.ts';
import { createChannelLoop, unauthorizedOutcome, type LoopContext, type Outcome } from './channel-loop.ts';
import type { BackoffOptions } from './backoff.ts';
import type { Channel, ChannelCallbacks } from './types.ts';

export interface WebSocketChannelOptions {
  fhirBase: string;
  subscriptionId: string;
  getAccessToken(): Promise<string>;
  callbacks: ChannelCallbacks;
  /** `text`: `bind-with-token <token>` (IG / Argonaut); `json`: Medplum's `{"type":"bind-with-token",…}`. */
  bindStyle?: 'text' | 'json';
  /** HTTP method for `$get-ws-binding-token` (default POST: the operation is not idempotent). */
  tokenMethod?: 'POST' | 'GET';
  /** Re-bind this long before the binding token expires (default 5 min, at most half its lifetime). */
  rebindBeforeMs?: number;
  /** When set, no message within 2 × this + slack reconnects (Medplum sends heartbeats every 10 s). */
  heartbeatSeconds?: number;
  watchdogSlackMs?: number;
  /** Largest accepted message (default 4 MiB); larger ones close the socket (ws maxPayload). */
  maxMessageBytes?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  fetch?: typeof fetch;
}

export interface BindingToken {
  token: string;
  expiresAt: number;
  websocketUrl: string;
}

interface Context extends LoopContext {
  authRetryAvailable: boolean;
  everLive: boolean;
}

const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const TOKEN_REQUEST_TIMEOUT_MS = 30_000;
// Liveness chatter of the various server dialects (Argonaut keepalive, HAPI bound/ping, Medplum pong).
const CHATTER = /^(keepalive|ping|pong|bound|unbound)\b/i;

/** Parse the `$get-ws-binding-token` answer; an error string names the field only. */
export function parseBindingParameters(json: unknown): BindingToken | { error: string } {
  if (!isResource(json, 'Parameters')) {
    return { error: 'binding token answer is not a Parameters resource' };
  }
  const value = (name: string, keys: readonly string[]): unknown =>
    choice(namedParameters(json['parameter'], name)[0], keys);
  const token = value('token', ['valueString']);
  // The token is pasted into a text protocol line: refuse anything that could smuggle a second command.
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(token)) {
    return { error: 'binding token missing or not a single printable word' };
  }
  const expiration = value('expiration', ['valueDateTime', 'valueInstant', 'valueString']);
  const expiresAt = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(expiresAt)) return { error: 'binding token expiration missing or invalid' };
  const url = value('websocket-url', ['valueUrl', 'valueUri', 'valueString']);
  const parsed = typeof url === 'string' && URL.canParse(url) ? new URL(url) : null;
  if (!parsed || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) {
    return { error: 'websocket-url missing or not ws:/wss:' };
  }
  return { token, expiresAt, websocketUrl: parsed.toString() };
}

export function bindMessage(token: string, style: 'text' | 'json'): string {
  return style === 'json'
    ? JSON.stringify({ type: 'bind-with-token', payload: { token } })
    : `bind-with-token ${token}`;
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export function createWebSocketChannel(opts: WebSocketChannelOptions): Channel {
  const cb = opts.callbacks;
  const fetchImpl = opts.fetch ?? fetch;
  const random = opts.random ?? Math.random;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const bindStyle = opts.bindStyle ?? 'text';
  const rebindBeforeMs = opts.rebindBeforeMs ?? 5 * 60_000;
  const watchdogMs =
    opts.heartbeatSeconds !== undefined && opts.heartbeatSeconds > 0
      ? 2 * opts.heartbeatSeconds * 1000 + (opts.watchdogSlackMs ?? 5000)
      : null;
  const tokenUrl = `${opts.fhirBase.replace(/\/+$/, '')}/Subscription/${encodeURIComponent(opts.subscriptionId)}/$get-ws-binding-token`;

  let stopped = false;
  /** Ends the current connection attempt with an outcome. */
  let endCurrent: ((outcome: Outcome) => void) | null = null;
  /** Aborts an in-flight token request on stop(). */
  const stopController = new AbortController();

  const unauthorized = (ctx: Context, status: number): Promise<Outcome> =>
    unauthorizedOutcome(ctx, status, cb.onUnauthorized, () => stopped);

  async function fetchBindingToken(ctx: Context): Promise<BindingToken | Outcome> {
    let access: string;
    try {
      access = await opts.getAccessToken();
    } catch {
      return { next: 'retry', reason: 'access token unavailable' };
    }
    const method = opts.tokenMethod ?? 'POST';
    let res: Response;
    try {
      res = await fetchImpl(tokenUrl, {
        method,
        headers: {
          Authorization: `Bearer ${access}`,
          Accept: 'application/fhir+json',
          ...(method === 'POST' ? { 'Content-Type': 'application/fhir+json' } : {}),
        },
        ...(method === 'POST' ? { body: JSON.stringify({ resourceType: 'Parameters' }) } : {}),
        signal: AbortSignal.any([stopController.signal, AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS)]),
      });
    } catch {
      return { next: 'retry', reason: 'binding token request failed' };
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => undefined);
      return unauthorized(ctx, res.status);
    }
    if (res.status === 429 || res.status === 503) {
      await res.body?.cancel().catch(() => undefined);
      const delayMs = parseRetryAfterMs(res.headers.get('retry-after'), Date.now());
      return {
        next: 'retry',
        reason: `binding token: HTTP ${res.status}`,
        ...(delayMs === null ? {} : { delayMs }),
      };
    }
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      // Medplum #9447: a deleted subscription loops forever if retried. The owner must recreate it.
      return { next: 'stop', reason: 'subscription not found (HTTP 404)' };
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return { next: 'retry', reason: `binding token: HTTP ${res.status}` };
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      cb.onError('binding token answer is not JSON');
      return { next: 'retry', reason: 'invalid binding token answer' };
    }
    const parsed = parseBindingParameters(json);
    if ('error' in parsed) {
      cb.onError(parsed.error);
      return { next: 'retry', reason: 'invalid binding token answer' };
    }
    return parsed;
  }

  async function connectOnce(ctx: Context): Promise<Outcome> {
    const binding = await fetchBindingToken(ctx);
    if (stopped) return { next: 'stop', reason: 'stopped' };
    if ('next' in binding) return binding;

    return new Promise<Outcome>((resolve) => {
      const ws = new WebSocket(binding.websocketUrl, {
        maxPayload: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      });
      let currentUrl = binding.websocketUrl;
      let chain: Promise<void> = Promise.resolve();
      let pending = 0;
      let finished = false;
      let watchdog: ReturnType<typeof setTimeout> | null = null;
      let rebindTimer: ReturnType<typeof setTimeout> | null = null;

      const finish = (outcome: Outcome): void => {
        if (finished) return;
        finished = true;
        if (watchdog !== null) clearTimeout(watchdog);
        if (rebindTimer !== null) clearTimeout(rebindTimer);
        if (endCurrent === finish) endCurrent = null;
        ws.removeAllListeners('message');
        ws.terminate();
        // Let an onFrame in flight finish before the next connection can deliver anything.
        void chain.then(() => resolve(outcome));
      };
      endCurrent = finish;

      const armWatchdog = (): void => {
        if (watchdogMs === null) return;
        if (watchdog !== null) clearTimeout(watchdog);
        watchdog = setTimeout(
          () =>
            finish({
              next: 'retry',
              reason: `watchdog: no message within ${Math.round(watchdogMs / 1000)} s`,
            }),
          watchdogMs,
        );
      };

      const scheduleRebind = (expiresAt: number): void => {
        const lifetime = expiresAt - Date.now();
        const lead = Math.min(rebindBeforeMs, Math.max(lifetime, 0) / 2);
        rebindTimer = setTimeout(() => void rebind(), Math.max(lifetime - lead, 1000));
      };

      const rebind = async (): Promise<void> => {
        const next = await fetchBindingToken(ctx);
        if (finished) return;
        if ('next' in next) {
          finish(next);
          return;
        }
        if (next.websocketUrl !== currentUrl) {
          // IG: a changed websocket-url means a new connection (and a fresh token for it).
          finish({ next: 'retry', reason: 'websocket-url changed', immediate: true });
          return;
        }
        currentUrl = next.websocketUrl;
        ws.send(bindMessage(next.token, bindStyle));
        scheduleRebind(next.expiresAt);
      };

      const handle = async (text: string): Promise<void> => {
        const trimmed = text.trim();
        if (!trimmed.startsWith('{')) {
          if (!CHATTER.test(trimmed)) cb.onError('unrecognized websocket message');
          return;
        }
        const json = parseJson(trimmed);
        if (json === undefined) {
          cb.onError('websocket message is not valid JSON');
          return;
        }
        const resourceType = field(json, 'resourceType');
        if (resourceType === 'OperationOutcome') {
          // Medplum reports bind failures this way ("Token failed to validate"): start over with a new token.
          cb.onError('server sent an OperationOutcome; rebinding');
          finish({ next: 'retry', reason: 'server error message' });
          return;
        }
        if (resourceType !== 'Bundle') return; // {"type":"pong"} and other dialect chatter
        const parsed = parseNotificationBundle(json);
        if (!parsed.ok) {
          cb.onError(`websocket notification: ${parsed.error}`);
          return;
        }
        ctx.attempt = 0;
        try {
          await cb.onFrame({
            kind: 'notification',
            notification: parsed.notification,
            receivedAt: Date.now(),
          });
        } catch {
          cb.onError('frame handler failed; reconnecting');
          finish({ next: 'retry', reason: 'frame handler failed' });
        }
      };

      ws.on('open', () => {
        if (finished) return;
        ws.send(bindMessage(binding.token, bindStyle));
        ctx.authRetryAvailable = true;
        cb.onState('live', ctx.everLive ? 'reconnected' : null);
        ctx.everLive = true;
        armWatchdog();
        scheduleRebind(binding.expiresAt);
      });
      ws.on('message', (data: RawData) => {
        if (finished) return;
        armWatchdog();
        // Backpressure: stop reading the socket while the pipeline commits.
        pending += 1;
        ws.pause();
        const text = rawToString(data);
        chain = chain.then(async () => {
          if (!finished) await handle(text);
          pending -= 1;
          if (pending === 0 && !finished) ws.resume();
        });
      });
      ws.on('close', (code: number) => finish({ next: 'retry', reason: `socket closed (${code})` }));
      ws.on('error', () => finish({ next: 'retry', reason: 'socket error' }));
    });
  }

  return createChannelLoop<Context>({
    newContext: () => ({ attempt: 0, authRetryAvailable: true, everLive: false }),
    connectOnce,
    backoffMs: (ctx) => backoffDelayMs(ctx.attempt, backoff, random),
    interrupt(request) {
      if (request.kind === 'stop') {
        stopped = true;
        stopController.abort();
        endCurrent?.({ next: 'stop', reason: 'stopped' });
      } else {
        endCurrent?.({ next: 'retry', reason: request.reason, immediate: true });
      }
    },
    onState: cb.onState,
  });
}
