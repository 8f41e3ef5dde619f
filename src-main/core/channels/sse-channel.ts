// The custom SSE subscription channel, client side (docs/sse-channel.md). One connection at a time;
// the loop owns reconnection (backoff + jitter, retry:, Retry-After, watchdog) because EventSource
// has no backoff, no idle timeout and cannot send a bearer header.
import { backoffDelayMs, DEFAULT_BACKOFF, parseRetryAfterMs } from './backoff.ts';
import {
  createChannelLoop,
  tokenUnavailableOutcome,
  unauthorizedOutcome,
  type LoopContext,
  type Outcome,
} from './channel-loop.ts';
import type { BackoffOptions } from './backoff.ts';
import { createReadAhead } from './read-ahead.ts';
import { createSseDecoder, DEFAULT_MAX_LINE_BYTES } from './sse-decoder.ts';
import type { SseDecoder, SseFeedResult, SseItem } from './sse-decoder.ts';
import { joinRun, runFrame, startRun, type FrameRun } from './frame-runs.ts';
import { sseMessageToFrame } from './sse-frames.ts';
import type { Channel, ChannelCallbacks, ChannelFrame } from './types.ts';

export interface SseChannelOptions {
  /** The stream URL from `Subscription.channel.endpoint`. */
  url: string;
  getAccessToken(): Promise<string>;
  /** The persisted cursor, read on every (re)connect and sent as `Last-Event-ID`. */
  getCursor(): string | null;
  /** The subscription's heartbeat period; the watchdog fires after 2 × this + slack. */
  heartbeatSeconds: number;
  callbacks: ChannelCallbacks;
  /** Bound on a buffered line/event (default 1 MiB); beyond it the connection is dropped. */
  maxLineBytes?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  fetch?: typeof fetch;
  /** Watchdog slack added to 2 × heartbeatSeconds (default 5000 ms; docs/sse-channel.md §6). */
  watchdogSlackMs?: number;
}

/** Carried as an AbortSignal reason so the loop can tell a watchdog from a requested reconnect. */
class AbortRequest extends Error {
  readonly immediate: boolean;
  constructor(message: string, immediate: boolean) {
    super(message);
    this.immediate = immediate;
  }
}

// 4xx answers that retrying cannot fix (bad cursor, unknown subscription): surface them and stop.
// 409 (subscription off/error) is retried: the pipeline re-activates the subscription meanwhile.
const PERMANENT_STATUSES = new Set([400, 404, 405, 406, 410, 414, 422]);

interface ConnectionContext extends LoopContext {
  /** One token refresh per authorization failure; reset by a 200. */
  authRetryAvailable: boolean;
  everLive: boolean;
  retryFloorMs: number | null;
  /** eventsSinceSubscriptionStart of the last handshake: events up to it are replay. */
  handshakeCount: number;
}

export function createSseChannel(opts: SseChannelOptions): Channel {
  const cb = opts.callbacks;
  const fetchImpl = opts.fetch ?? fetch;
  const random = opts.random ?? Math.random;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const heartbeatSeconds = opts.heartbeatSeconds > 0 ? opts.heartbeatSeconds : 30;
  const watchdogMs = 2 * heartbeatSeconds * 1000 + (opts.watchdogSlackMs ?? 5000);

  let stopped = false;
  let current: AbortController | null = null;

  async function connectOnce(ctx: ConnectionContext): Promise<Outcome> {
    const controller = new AbortController();
    current = controller;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const disarm = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
    const arm = (): void => {
      disarm();
      timer = setTimeout(() => {
        controller.abort(
          new AbortRequest(`watchdog: no data within ${Math.round(watchdogMs / 1000)} s`, false),
        );
      }, watchdogMs);
    };
    try {
      let token: string;
      try {
        token = await opts.getAccessToken();
      } catch (error) {
        return tokenUnavailableOutcome(error);
      }
      if (stopped) return { next: 'stop', reason: 'stopped' };
      if (controller.signal.aborted) return abortOutcome(controller.signal.reason);
      const headers: Record<string, string> = {
        Authorization: `Bearer ${token}`,
        Accept: 'text/event-stream',
        'Cache-Control': 'no-cache',
      };
      const cursor = opts.getCursor();
      if (cursor !== null && cursor !== '') headers['Last-Event-ID'] = cursor;
      arm();
      const res = await fetchImpl(opts.url, { headers, signal: controller.signal });

      if (res.status === 401 || res.status === 403) {
        disarm();
        await res.body?.cancel().catch(() => undefined);
        return unauthorized(ctx, res.status);
      }
      if (res.status === 429 || res.status === 503) {
        await res.body?.cancel().catch(() => undefined);
        const delayMs = parseRetryAfterMs(res.headers.get('retry-after'), Date.now());
        return { next: 'retry', reason: `HTTP ${res.status}`, ...(delayMs === null ? {} : { delayMs }) };
      }
      if (res.status === 204) return { next: 'stop', reason: 'server ended the stream (HTTP 204)' };
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        if (PERMANENT_STATUSES.has(res.status)) return { next: 'stop', reason: `HTTP ${res.status}` };
        return { next: 'retry', reason: `HTTP ${res.status}` };
      }
      const contentType = res.headers.get('content-type') ?? '';
      if (!/^text\/event-stream\b/i.test(contentType) || res.body === null) {
        await res.body?.cancel().catch(() => undefined);
        cb.onError('stream answered 200 without text/event-stream');
        return { next: 'retry', reason: 'not an event stream' };
      }

      ctx.authRetryAvailable = true;
      cb.onState('live', ctx.everLive ? 'reconnected' : null);
      ctx.everLive = true;
      const decoder = createSseDecoder(maxLineBytes);
      const reads = createReadAhead(res.body.getReader());
      arm();
      for (;;) {
        const { done, value } = await reads.next();
        if (done) return { next: 'retry', reason: 'stream ended' };
        arm();
        // Group commit: what else arrived meanwhile goes into the same batch (read-ahead.ts).
        const batch = await reads.arrived(value);
        const result = decodeAll(decoder, batch.chunks);
        if (result.retryMs !== null) ctx.retryFloorMs = result.retryMs;
        for (const frame of framesOf(result.items, ctx)) {
          // The watchdog measures the server, not our handler: pause it while the pipeline commits.
          disarm();
          const outcome = await handleFrame(frame, ctx);
          if (stopped) return { next: 'stop', reason: 'stopped' };
          if (outcome) return outcome;
          if (controller.signal.aborted) return abortOutcome(controller.signal.reason);
          arm();
        }
        if (result.overflow) return { next: 'retry', reason: `line exceeds ${maxLineBytes} bytes` };
        if (batch.ended) return { next: 'retry', reason: 'stream ended' };
      }
    } catch (err) {
      if (stopped) return { next: 'stop', reason: 'stopped' };
      if (controller.signal.aborted) return abortOutcome(controller.signal.reason);
      return { next: 'retry', reason: `network error (${errorCode(err)})` };
    } finally {
      disarm();
      // Releases the socket whatever path we left by.
      controller.abort(new AbortRequest('connection closed', false));
      if (current === controller) current = null;
    }
  }

  const unauthorized = (ctx: ConnectionContext, status: number): Promise<Outcome> =>
    unauthorizedOutcome(ctx, status, cb.onUnauthorized, () => stopped);

  /**
   * Map one chunk's messages to frames, in order. Consecutive event-notifications are merged into one
   * frame so the pipeline commits them in one transaction (one fsync per chunk instead of per frame),
   * but never across the handshake's event count: replayed and live events stay in separate frames.
   */
  function framesOf(items: readonly SseItem[], ctx: ConnectionContext): ChannelFrame[] {
    const frames: ChannelFrame[] = [];
    let run: FrameRun | null = null;
    let runIsReplay = false;
    for (const item of items) {
      if (item.type === 'problem') {
        cb.onError(item.problem);
        continue;
      }
      const mapped = sseMessageToFrame(item.message, Date.now());
      if (mapped === null) continue;
      if (!mapped.ok) {
        cb.onError(mapped.error);
        continue;
      }
      // A well-formed frame proves the server healthy: restart the backoff sequence.
      ctx.attempt = 0;
      const frame = mapped.frame;
      if (frame.kind === 'notification' && frame.notification.type === 'handshake') {
        ctx.handshakeCount = Number(frame.notification.eventsSinceSubscriptionStart ?? '0');
      }
      const isReplay =
        frame.kind === 'notification' &&
        frame.notification.events.every((e) => Number(e.eventNumber) <= ctx.handshakeCount);
      if (run && isReplay === runIsReplay && joinRun(run, frame)) continue;
      if (run) frames.push(runFrame(run));
      run = startRun(frame);
      runIsReplay = isReplay;
    }
    if (run) frames.push(runFrame(run));
    return frames;
  }

  /** Deliver one frame; an Outcome ends the connection. */
  async function handleFrame(frame: ChannelFrame, ctx: ConnectionContext): Promise<Outcome | null> {
    const failed = await deliver(frame);
    if (failed) return failed;
    if (frame.kind === 'revoked') return { next: 'stop', reason: 'revoked by server' };
    if (frame.kind === 'token-expired') return unauthorized(ctx, 401);
    return null;
  }

  async function deliver(frame: ChannelFrame): Promise<Outcome | null> {
    try {
      await cb.onFrame(frame);
      return null;
    } catch {
      // The handler's error may carry PHI; report only that it failed.
      cb.onError('frame handler failed; reconnecting from the persisted cursor');
      return { next: 'retry', reason: 'frame handler failed' };
    }
  }

  return createChannelLoop<ConnectionContext>({
    newContext: () => ({
      attempt: 0,
      authRetryAvailable: true,
      everLive: false,
      retryFloorMs: null,
      handshakeCount: 0,
    }),
    connectOnce,
    backoffMs: (ctx) => backoffDelayMs(ctx.attempt, backoff, random, ctx.retryFloorMs),
    interrupt(request) {
      if (request.kind === 'stop') {
        stopped = true;
        current?.abort(new AbortRequest('stopped', false));
      } else {
        current?.abort(new AbortRequest(request.reason, true));
      }
    },
    onState: cb.onState,
  });
}

/** Decode chunks in order, up to (and including) the first that overflows the line bound. */
function decodeAll(decoder: SseDecoder, chunks: readonly Uint8Array[]): SseFeedResult {
  const all: SseFeedResult = { items: [], retryMs: null, overflow: false };
  for (const chunk of chunks) {
    const result = decoder.feed(chunk);
    all.items.push(...result.items);
    if (result.retryMs !== null) all.retryMs = result.retryMs;
    if (result.overflow) {
      all.overflow = true;
      break;
    }
  }
  return all;
}

function abortOutcome(reason: unknown): Outcome {
  if (reason instanceof AbortRequest) {
    return { next: 'retry', reason: reason.message, immediate: reason.immediate };
  }
  return { next: 'retry', reason: 'aborted' };
}

/** A short, PHI-free identification of a network failure (undici wraps the code in `cause`). */
function errorCode(err: unknown): string {
  if (err instanceof Error) {
    const cause: unknown = err.cause;
    if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
      return cause.code;
    }
    return err.name;
  }
  return 'unknown';
}
