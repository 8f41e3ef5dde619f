// A fault-injecting HTTP proxy for the soak checker, loopback only.
//
// It sits between the headless monitor and the embedded server. Ordinary requests are forwarded with
// optional latency and, sometimes, a connection reset before the answer. Server-Sent-Events responses
// are re-framed (split at blank lines) so faults can act at frame level:
//   slice      deliver in 1-byte or random-size slices with tiny pauses (chunk-boundary bugs)
//   duplicate  send a complete frame twice (the client must dedupe on the event number)
//   cut        stop after N bytes — usually mid-event — and close the socket (FIN)
//   reset      like cut, but a TCP RST
//   stall      stop forwarding for a while (the client's idle timeout has to notice), then cut
//   delay      hold each frame back
// Token responses can be cut on their own: the `POST /auth/token` request reaches the server (which
// issues the token), and its answer is dropped before the client sees a byte (FIN or RST) — the fault
// that once signed a monitor out for good (docs/proof.md).
// Choices come from a seeded PRNG, so a schedule is reproducible as far as timing allows.
// The proxy also remembers the last bearer token it saw, so a test can revoke it (sniffing is the
// point of a test proxy; it never leaves loopback).
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type StreamFault = 'none' | 'slice1' | 'slice' | 'duplicate' | 'cut' | 'reset' | 'stall' | 'delay';

export const STREAM_FAULTS: readonly StreamFault[] = [
  'none',
  'slice1',
  'slice',
  'duplicate',
  'cut',
  'reset',
  'stall',
  'delay',
];

export interface FaultPlan {
  /** Fault applied to the next SSE responses (each new stream draws once from `pick`). */
  stream: StreamFault;
  /** Probability that a non-stream request is reset before its answer. */
  requestResetProbability: number;
  /** Latency (ms) added to non-stream answers. */
  requestDelayMs: number;
  /** Cut the answers of this many next `POST /auth/token` requests (counts down). */
  dropTokenResponses: number;
  /** Probability that a `POST /auth/token` answer is cut (besides `dropTokenResponses`). */
  tokenResponseDropProbability: number;
}

export interface FaultProxyStats {
  requests: number;
  streams: number;
  faults: Record<StreamFault, number>;
  duplicatedFrames: number;
  requestResets: number;
  /** Token endpoint answers cut after the server had issued the token. */
  tokenResponsesDropped: number;
  tokenRequests: number;
  revokedFramesSeen: number;
  /** Distinct access tokens seen (token renewals + fresh logins + 1). */
  distinctTokens: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  setPlan(plan: Partial<FaultPlan>): void;
  /** Cut every open stream now (simulates a network blip). */
  dropAll(mode?: 'cut' | 'reset'): number;
  /** The last access token seen on any request, and the one the last stream was opened with. */
  lastBearerToken(): string | null;
  lastStreamToken(): string | null;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

/** mulberry32: tiny, seeded, good enough for fault schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_STALL_MS = 4_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFaultProxy(options: {
  /** Upstream port on 127.0.0.1. */
  upstreamPort: number;
  /** Listen port (0 = ephemeral). */
  port?: number;
  seed: number;
}): Promise<FaultProxy> {
  const random = seededRandom(options.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  let plan: FaultPlan = {
    stream: 'none',
    requestResetProbability: 0,
    requestDelayMs: 0,
    dropTokenResponses: 0,
    tokenResponseDropProbability: 0,
  };
  let bearer: string | null = null;
  let streamBearer: string | null = null;
  const tokens = new Set<string>();
  const openStreams = new Set<{ abort(mode: 'cut' | 'reset'): void }>();
  const stats: FaultProxyStats = {
    requests: 0,
    streams: 0,
    faults: { none: 0, slice1: 0, slice: 0, duplicate: 0, cut: 0, reset: 0, stall: 0, delay: 0 },
    duplicatedFrames: 0,
    requestResets: 0,
    tokenResponsesDropped: 0,
    tokenRequests: 0,
    revokedFramesSeen: 0,
    distinctTokens: 0,
  };

  /** Whether to cut this token answer (the random draw only when the plan asks for random drops). */
  const dropThisTokenResponse = (): boolean => {
    if (plan.dropTokenResponses > 0) {
      plan.dropTokenResponses -= 1;
      return true;
    }
    return plan.tokenResponseDropProbability > 0 && random() < plan.tokenResponseDropProbability;
  };

  const server: Server = createServer((req, res) => {
    stats.requests += 1;
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && /^Bearer at_/.test(auth)) {
      bearer = auth.slice('Bearer '.length);
      tokens.add(bearer);
      if (req.url?.includes('/$sse')) streamBearer = bearer;
    }
    const clientSocket: Socket = req.socket;
    const isTokenRequest = req.method === 'POST' && (req.url ?? '').split('?')[0] === '/auth/token';
    if (isTokenRequest) stats.tokenRequests += 1;
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: options.upstreamPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up: IncomingMessage) => {
        const isStream = String(up.headers['content-type'] ?? '').startsWith('text/event-stream');
        if (!isStream) {
          void forwardPlain(up);
          return;
        }
        forwardStream(up);
      },
    );
    upstream.on('error', () => {
      // Server down (killed) or reset: the client sees a reset, as it would without the proxy.
      if (!res.headersSent) clientSocket.resetAndDestroy();
      else res.destroy();
    });
    req.pipe(upstream);
    req.on('error', () => upstream.destroy());

    async function forwardPlain(up: IncomingMessage) {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('error', () => clientSocket.resetAndDestroy());
      await new Promise<void>((r) => up.on('end', () => r()).on('close', () => r()));
      if (isTokenRequest && dropThisTokenResponse()) {
        // The server has issued (and, for a refresh, rotated) the token; the client never hears of it.
        stats.tokenResponsesDropped += 1;
        if (random() < 0.5) clientSocket.resetAndDestroy();
        else clientSocket.destroy();
        return;
      }
      if (plan.requestDelayMs > 0) await sleep(int(0, plan.requestDelayMs));
      if (random() < plan.requestResetProbability) {
        stats.requestResets += 1;
        clientSocket.resetAndDestroy();
        return;
      }
      if (res.destroyed) return;
      res.writeHead(up.statusCode ?? 502, up.headers);
      res.end(Buffer.concat(chunks));
    }

    function forwardStream(up: IncomingMessage) {
      stats.streams += 1;
      const fault = plan.stream;
      stats.faults[fault] += 1;
      const headers = { ...up.headers };
      delete headers['content-length'];
      res.writeHead(up.statusCode ?? 200, headers);
      let ended = false;
      const handle = {
        abort(mode: 'cut' | 'reset') {
          if (ended) return;
          ended = true;
          up.destroy();
          if (mode === 'reset') clientSocket.resetAndDestroy();
          else clientSocket.destroy();
          openStreams.delete(handle);
        },
      };
      openStreams.add(handle);
      res.on('close', () => {
        ended = true;
        up.destroy();
        openStreams.delete(handle);
      });
      // Bytes after which a cut/reset/stall fires: usually inside the first few frames.
      const budget = fault === 'cut' || fault === 'reset' || fault === 'stall' ? int(20, 6000) : Infinity;
      let sent = 0;
      let pending = '';
      const queue: string[] = [];
      let writing = false;

      const writeOut = async (text: string): Promise<void> => {
        let rest = text;
        if (sent + Buffer.byteLength(rest) > budget) {
          // Cut inside this frame: deliver a prefix, then fault.
          const keep = Math.max(0, budget - sent);
          const prefix = Buffer.from(rest).subarray(0, keep).toString('latin1');
          if (prefix && !ended) res.write(Buffer.from(prefix, 'latin1'));
          sent = budget;
          if (fault === 'stall') await sleep(int(500, MAX_STALL_MS));
          handle.abort(fault === 'reset' ? 'reset' : 'cut');
          return;
        }
        if (fault === 'slice1' || fault === 'slice') {
          const bytes = Buffer.from(rest);
          let i = 0;
          while (i < bytes.length && !ended) {
            const n = fault === 'slice1' ? 1 : int(1, 64);
            res.write(bytes.subarray(i, i + n));
            i += n;
            if (random() < 0.05) await sleep(1);
          }
          rest = '';
        } else if (fault === 'delay') {
          await sleep(int(0, 150));
        }
        if (rest && !ended) res.write(rest);
        sent += Buffer.byteLength(text);
      };

      const drain = async () => {
        if (writing) return;
        writing = true;
        while (queue.length > 0 && !ended) {
          const frame = queue.shift() ?? '';
          if (frame.includes('event: revoked')) stats.revokedFramesSeen += 1;
          await writeOut(frame);
          if (
            // Duplicates: the plan of 'duplicate' streams, and background noise on every other one.
            !ended &&
            frame.includes('event: event-notification') &&
            random() < (fault === 'duplicate' ? 0.5 : 0.08)
          ) {
            stats.duplicatedFrames += 1;
            await writeOut(frame);
          }
        }
        writing = false;
        if (queue.length === 0 && upEnded && !ended) {
          ended = true;
          res.end();
        }
      };
      let upEnded = false;
      up.setEncoding('utf8');
      up.on('data', (chunk: string) => {
        pending += chunk;
        // Frames end with a blank line; the server writes LF only.
        let idx = pending.indexOf('\n\n');
        while (idx >= 0) {
          queue.push(pending.slice(0, idx + 2));
          pending = pending.slice(idx + 2);
          idx = pending.indexOf('\n\n');
        }
        void drain();
      });
      up.on('end', () => {
        upEnded = true;
        if (pending) queue.push(pending);
        pending = '';
        void drain();
      });
      up.on('error', () => handle.abort('cut'));
    }
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    setPlan(next) {
      plan = { ...plan, ...next };
    },
    dropAll(mode = 'cut') {
      const open = [...openStreams];
      for (const s of open) s.abort(mode);
      return open.length;
    },
    lastBearerToken: () => bearer,
    lastStreamToken: () => streamBearer,
    stats: () => ({ ...stats, distinctTokens: tokens.size, faults: { ...stats.faults } }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of [...openStreams]) s.abort('cut');
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
