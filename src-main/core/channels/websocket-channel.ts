// The standard FHIR websocket channel (R5 / backport): `$get-ws-binding-token`, connect to the
// returned `websocket-url`, `bind-with-token`, re-bind before expiry. The access token never goes to
// the websocket; only the short-lived binding token does. The channel is live only once the server has
// answered the bind (its handshake, or any notification for the subscription): an open socket is not a
// working subscription. Catch-up after a reconnect (`$events`, reconciliation) is the pipeline's job: it
// sees onState('live', 'reconnected'). Server dialects (token method, bind form) are in
// websocket-binding.ts.
import WebSocket from 'ws';
import type { RawData } from 'ws';
import { field, parseJson } from '../../shared/fhir-json.ts';
import { parseNotificationBundle } from '../notifications/parse-bundle.ts';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
import { createChannelLoop, unauthorizedOutcome, type LoopContext, type Outcome } from './channel-loop.ts';
import type { BackoffOptions } from './backoff.ts';
import type { Channel, ChannelCallbacks } from './types.ts';
import {
  bindMessage,
  bindStyles,
  classifyTokenAnswer,
  parseBindingParameters,
  tokenMethods,
  type BindingToken,
  type BindStyle,
  type TokenMethod,
} from './websocket-binding.ts';

export { bindMessage, parseBindingParameters, type BindingToken } from './websocket-binding.ts';

export interface WebSocketChannelOptions {
  fhirBase: string;
  subscriptionId: string;
  getAccessToken(): Promise<string>;
  callbacks: ChannelCallbacks;
  /**
   * `text`: `bind-with-token <token>` (IG / Argonaut); `json`: Medplum's `{"type":"bind-with-token",…}`;
   * `auto`: the remembered form first, the other if the server does not answer within `bindTimeoutMs`.
   */
  bindStyle?: BindStyle | 'auto';
  /** HTTP method for `$get-ws-binding-token` (default POST); `auto` tries POST, then GET. */
  tokenMethod?: TokenMethod | 'auto';
  /** What worked on this server before (auto modes try it first). */
  remembered?: { bindStyle?: BindStyle; tokenMethod?: TokenMethod };
  /** What an `auto` mode found to work, for the owner to remember. */
  onLearned?(facts: { bindStyle?: BindStyle; tokenMethod?: TokenMethod }): void;
  /** How long to wait for the server's answer to a bind (default 5 s). */
  bindTimeoutMs?: number;
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

interface Context extends LoopContext {
  authRetryAvailable: boolean;
  everLive: boolean;
}

const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const DEFAULT_BIND_TIMEOUT_MS = 5000;
const TOKEN_REQUEST_TIMEOUT_MS = 30_000;
// Liveness chatter of the various server dialects (Argonaut keepalive, HAPI bound/ping, Medplum pong).
const CHATTER = /^(keepalive|ping|pong|bound|unbound)\b/i;

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return (await res.json()) as unknown;
  } catch {
    return undefined;
  }
}

export function createWebSocketChannel(opts: WebSocketChannelOptions): Channel {
  const cb = opts.callbacks;
  const fetchImpl = opts.fetch ?? fetch;
  const random = opts.random ?? Math.random;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const bindChoice = opts.bindStyle ?? 'text';
  const methodChoice = opts.tokenMethod ?? 'POST';
  const bindTimeoutMs = opts.bindTimeoutMs ?? DEFAULT_BIND_TIMEOUT_MS;
  const rebindBeforeMs = opts.rebindBeforeMs ?? 5 * 60_000;
  const watchdogMs =
    opts.heartbeatSeconds !== undefined && opts.heartbeatSeconds > 0
      ? 2 * opts.heartbeatSeconds * 1000 + (opts.watchdogSlackMs ?? 5000)
      : null;
  const tokenUrl = `${opts.fhirBase.replace(/\/+$/, '')}/Subscription/${encodeURIComponent(opts.subscriptionId)}/$get-ws-binding-token`;
  // What worked on this server: tried first, and reported once when an auto mode finds it.
  const known: { bindStyle: BindStyle | null; tokenMethod: TokenMethod | null } = {
    bindStyle: opts.remembered?.bindStyle ?? null,
    tokenMethod: opts.remembered?.tokenMethod ?? null,
  };

  let stopped = false;
  /** Ends the current connection attempt with an outcome. */
  let endCurrent: ((outcome: Outcome) => void) | null = null;
  /** Aborts an in-flight token request on stop(). */
  const stopController = new AbortController();

  const unauthorized = (ctx: Context, status: number): Promise<Outcome> =>
    unauthorizedOutcome(ctx, status, cb.onUnauthorized, () => stopped);

  function learn(facts: { bindStyle?: BindStyle; tokenMethod?: TokenMethod }): void {
    const changed =
      (facts.bindStyle !== undefined && facts.bindStyle !== known.bindStyle) ||
      (facts.tokenMethod !== undefined && facts.tokenMethod !== known.tokenMethod);
    if (facts.bindStyle !== undefined) known.bindStyle = facts.bindStyle;
    if (facts.tokenMethod !== undefined) known.tokenMethod = facts.tokenMethod;
    if (changed) opts.onLearned?.(facts);
  }

  async function requestToken(method: TokenMethod, access: string): Promise<Response | null> {
    try {
      return await fetchImpl(tokenUrl, {
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
      return null;
    }
  }

  async function fetchBindingToken(ctx: Context): Promise<BindingToken | Outcome> {
    let access: string;
    try {
      access = await opts.getAccessToken();
    } catch {
      return { next: 'retry', reason: 'access token unavailable' };
    }
    const methods = tokenMethods(methodChoice, known.tokenMethod);
    for (const [i, method] of methods.entries()) {
      const res = await requestToken(method, access);
      if (res === null) return { next: 'retry', reason: 'binding token request failed' };
      const body = res.ok ? undefined : await readJson(res);
      const answer = classifyTokenAnswer(
        res.status,
        body,
        res.headers.get('retry-after'),
        i < methods.length - 1,
      );
      if (answer.kind === 'try-other-method') continue;
      if (answer.kind === 'unauthorized') {
        await res.body?.cancel().catch(() => undefined);
        return unauthorized(ctx, res.status);
      }
      if (answer.kind === 'gone') {
        cb.onSubscriptionGone?.(answer.why);
        return { next: 'stop', reason: answer.why };
      }
      if (answer.kind === 'retry') return answer.outcome;
      const parsed = parseBindingParameters(await readJson(res));
      if ('error' in parsed) {
        cb.onError(parsed.error);
        return { next: 'retry', reason: 'invalid binding token answer' };
      }
      if (methodChoice === 'auto') learn({ tokenMethod: method });
      return parsed;
    }
    return { next: 'retry', reason: 'binding token: no method answered' };
  }

  async function connectOnce(ctx: Context): Promise<Outcome> {
    const binding = await fetchBindingToken(ctx);
    if (stopped) return { next: 'stop', reason: 'stopped' };
    if ('next' in binding) return binding;
    return openSocket(ctx, binding);
  }

  function openSocket(ctx: Context, binding: BindingToken): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const ws = new WebSocket(binding.websocketUrl, {
        maxPayload: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      });
      const styles = bindStyles(bindChoice, known.bindStyle);
      let styleIndex = 0;
      let bound = false;
      let chain: Promise<void> = Promise.resolve();
      let pending = 0;
      let finished = false;
      let watchdog: ReturnType<typeof setTimeout> | null = null;
      let bindTimer: ReturnType<typeof setTimeout> | null = null;
      let rebindTimer: ReturnType<typeof setTimeout> | null = null;
      const currentStyle = (): BindStyle => styles[Math.min(styleIndex, styles.length - 1)] ?? 'text';

      const finish = (outcome: Outcome): void => {
        if (finished) return;
        finished = true;
        for (const timer of [watchdog, bindTimer, rebindTimer]) if (timer !== null) clearTimeout(timer);
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

      /** Send the bind in the current form; without an answer in time, the next form (auto). */
      const sendBind = (): void => {
        ws.send(bindMessage(binding.token, currentStyle()));
        bindTimer = setTimeout(() => {
          bindTimer = null;
          if (!bound && !finished) tryNextForm('the server did not answer the bind');
        }, bindTimeoutMs);
      };

      /** The current bind form was not understood: the next one on the same socket, or start over. */
      const tryNextForm = (why: string): void => {
        if (bindTimer !== null) clearTimeout(bindTimer);
        bindTimer = null;
        if (styleIndex + 1 < styles.length) {
          styleIndex += 1;
          sendBind();
        } else {
          finish({ next: 'retry', reason: why });
        }
      };

      /** The server answered the bind: the channel is live from now on. */
      const markBound = (): void => {
        if (bound) return;
        bound = true;
        if (bindTimer !== null) clearTimeout(bindTimer);
        bindTimer = null;
        if (bindChoice === 'auto') learn({ bindStyle: currentStyle() });
        ctx.attempt = 0;
        ctx.authRetryAvailable = true;
        cb.onState('live', ctx.everLive ? 'reconnected' : null);
        ctx.everLive = true;
        scheduleRebind(binding.expiresAt);
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
        if (next.websocketUrl !== binding.websocketUrl) {
          // IG: a changed websocket-url means a new connection (and a fresh token for it).
          finish({ next: 'retry', reason: 'websocket-url changed', immediate: true });
          return;
        }
        ws.send(bindMessage(next.token, currentStyle()));
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
          // Before the bind is answered: perhaps this form is not understood, so the next one. Otherwise
          // (Medplum: "Token failed to validate") start over with a new token on a new socket.
          if (!bound && styleIndex + 1 < styles.length) {
            tryNextForm('server error message');
            return;
          }
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
        markBound();
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
        armWatchdog();
        sendBind();
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
