// The standard FHIR websocket channel (R5 / backport): `$get-ws-binding-token`, connect to the
// returned `websocket-url`, `bind-with-token`, re-bind before expiry. The access token never goes to
// the websocket; only the short-lived binding token does. The channel is live only once the server has
// answered the bind (its handshake, or any notification for the subscription): an open socket is not a
// working subscription. Catch-up after a reconnect (`$events`, reconciliation) is the pipeline's job: it
// sees onState('live', 'reconnected'). Server dialects (token method, bind form) are in
// websocket-binding.ts. What arrives while a frame is committed is committed with the next one (group
// commit, websocket-group-commit.ts).
import WebSocket from 'ws';
import type { RawData } from 'ws';
import { field, parseJson } from '../../shared/fhir-json.ts';
import { parseNotificationBundle } from '../notifications/parse-bundle.ts';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
import { createChannelLoop, unauthorizedOutcome, type LoopContext, type Outcome } from './channel-loop.ts';
import type { BackoffOptions } from './backoff.ts';
import type { Channel, ChannelCallbacks, ChannelFrame } from './types.ts';
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
import { joinRun, runFrame, startRun, type FrameRun } from './frame-runs.ts';
import { createInbox, type Arrived } from './websocket-group-commit.ts';
import { MAX_CONTROL_ANSWER_BYTES, readJsonWithin } from '../../lib/bounded-body.ts';

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

function rawByteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/** What one message is. Pure: the channel acts on it in arrival order, after the frames before it. */
type Message =
  | { kind: 'frame'; frame: ChannelFrame }
  | { kind: 'error'; message: string }
  | { kind: 'operation-outcome' }
  /** Dialect chatter: keepalives, `{"type":"pong"}`, resources other than a Bundle. */
  | { kind: 'ignored' };

function readMessage(text: string, receivedAt: number): Message {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    return CHATTER.test(trimmed)
      ? { kind: 'ignored' }
      : { kind: 'error', message: 'unrecognized websocket message' };
  }
  const json = parseJson(trimmed);
  if (json === undefined) return { kind: 'error', message: 'websocket message is not valid JSON' };
  const resourceType = field(json, 'resourceType');
  if (resourceType === 'OperationOutcome') return { kind: 'operation-outcome' };
  if (resourceType !== 'Bundle') return { kind: 'ignored' };
  const parsed = parseNotificationBundle(json);
  if (!parsed.ok) return { kind: 'error', message: `websocket notification: ${parsed.error}` };
  return { kind: 'frame', frame: { kind: 'notification', notification: parsed.notification, receivedAt } };
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return await readJsonWithin(res, MAX_CONTROL_ANSWER_BYTES);
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
      /** The commit in flight (a drain of the inbox); finish() waits for it. */
      let chain: Promise<void> = Promise.resolve();
      let draining = false;
      const inbox = createInbox();
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

      /** Messages other than a notification Bundle, handled as they always were. */
      const handleOther = (message: Exclude<Message, { kind: 'frame' }>): void => {
        if (message.kind === 'error') {
          cb.onError(message.message);
          return;
        }
        if (message.kind === 'ignored') return;
        // Before the bind is answered: perhaps this form is not understood, so the next one. Otherwise
        // (Medplum: "Token failed to validate") start over with a new token on a new socket.
        if (!bound && styleIndex + 1 < styles.length) {
          tryNextForm('server error message');
          return;
        }
        cb.onError('server sent an OperationOutcome; rebinding');
        finish({ next: 'retry', reason: 'server error message' });
      };

      /** Hand one frame to the pipeline; false when the connection is over (then deliver nothing more). */
      const deliver = async (frame: ChannelFrame): Promise<boolean> => {
        try {
          await cb.onFrame(frame);
        } catch {
          // The handler's error may carry PHI; report only that it failed. The pipeline catches up from
          // its persisted cursor on the next connection, so nothing queued behind this frame is delivered.
          cb.onError('frame handler failed; reconnecting');
          finish({ next: 'retry', reason: 'frame handler failed' });
        }
        return !finished;
      };

      /**
       * Commit what arrived, in order: a run of event-notifications that merge (frame-runs.ts) is one
       * frame, one transaction; any other message ends the run, which is delivered before that message
       * is handled (a handshake or heartbeat is a frame of its own). The channel is bound from the
       * first Bundle.
       */
      const commitBatch = async (batch: readonly Arrived[]): Promise<void> => {
        let run: FrameRun | null = null;
        for (const arrived of batch) {
          if (finished) return;
          const message = readMessage(arrived.text, arrived.receivedAt);
          if (message.kind === 'frame' && run !== null && joinRun(run, message.frame)) continue;
          if (run !== null && !(await deliver(runFrame(run)))) return;
          run = null;
          if (message.kind === 'frame') {
            markBound();
            run = startRun(message.frame);
          } else {
            handleOther(message);
          }
        }
        if (run !== null && !finished) await deliver(runFrame(run));
      };

      /** Commit batches until nothing is queued: each one is what arrived while the previous committed. */
      const drain = async (): Promise<void> => {
        draining = true;
        try {
          while (inbox.size > 0 && !finished) {
            const batch = inbox.takeAll();
            // The inbox has room again: read on while this batch commits.
            if (ws.isPaused) ws.resume();
            await commitBatch(batch);
          }
        } catch {
          // A callback threw (onError, onState): end this connection rather than leave it half-handled.
          finish({ next: 'retry', reason: 'message handling failed' });
        } finally {
          draining = false;
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
        const full = inbox.push({
          text: rawToString(data),
          bytes: rawByteLength(data),
          receivedAt: Date.now(),
        });
        // Backpressure: past the bound, stop reading the socket until the inbox is taken.
        if (full) ws.pause();
        // Idle: commit at once (this message alone). Otherwise it joins the batch after the commit.
        if (!draining) chain = drain();
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
