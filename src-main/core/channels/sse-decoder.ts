// Bytes → SSE messages, with a hard bound on buffered memory. Wraps eventsource-parser (WHATWG
// line handling, CR/LF/CRLF split anywhere, one leading BOM) behind a boundary that never throws.
import { createParser } from 'eventsource-parser';

export interface SseMessage {
  event: string | undefined;
  id: string | undefined;
  data: string;
}

/** A dispatched message, or a PHI-free description of an ignored malformed line, in stream order. */
export type SseItem = { type: 'message'; message: SseMessage } | { type: 'problem'; problem: string };

export interface SseFeedResult {
  items: SseItem[];
  /** Last valid `retry:` value in this chunk, in ms. */
  retryMs: number | null;
  /** A line or event exceeded the limit: drop the connection. Further feeds return no messages. */
  overflow: boolean;
}

export interface SseDecoder {
  feed(chunk: Uint8Array): SseFeedResult;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * `maxLineBytes` bounds the partial line plus the buffered event data. eventsource-parser measures
 * decoded UTF-16 code units, which never exceed the UTF-8 byte count, so memory stays bounded by the
 * same order as the limit.
 */
export function createSseDecoder(maxLineBytes: number = DEFAULT_MAX_LINE_BYTES): SseDecoder {
  // ignoreBOM: leave the BOM to the parser, which strips exactly one (a second one is data, WHATWG P1).
  // Non-fatal: broken UTF-8 becomes U+FFFD instead of an exception (P14).
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let pending: SseFeedResult = emptyResult();
  let overflowed = false;
  const parser = createParser({
    maxBufferSize: maxLineBytes,
    onEvent: (e) =>
      pending.items.push({ type: 'message', message: { event: e.event, id: e.id, data: e.data } }),
    onRetry: (ms) => {
      pending.retryMs = ms;
    },
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') {
        overflowed = true;
        problem(`SSE line or event exceeds ${maxLineBytes} bytes`);
      } else if (err.type === 'invalid-retry') {
        problem('ignored an invalid SSE retry field');
      } else {
        // The field name and value are server data; do not repeat them.
        problem('ignored an unknown SSE field');
      }
    },
  });

  function problem(text: string): void {
    pending.items.push({ type: 'problem', problem: text });
  }

  function feed(chunk: Uint8Array): SseFeedResult {
    pending = emptyResult();
    if (!overflowed) {
      try {
        parser.feed(text.decode(chunk, { stream: true }));
      } catch {
        // Only reachable after an overflow (the parser throws until reset); keep the boundary tight.
        overflowed = true;
      }
    }
    pending.overflow = overflowed;
    return pending;
  }

  return { feed };
}

function emptyResult(): SseFeedResult {
  return { items: [], retryMs: null, overflow: false };
}
