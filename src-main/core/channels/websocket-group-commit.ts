// Group commit on the websocket channel, as the SSE channel does it (read-ahead.ts; docs/benchmarks.md,
// "Group commit in the SSE channel"): the messages that arrive while the pipeline commits a frame wait
// in a bounded inbox and are committed together once it returns, consecutive event-notifications as
// one frame, so one transaction (one fsync) instead of one per message. Nothing waits for more data: a
// message that finds the channel idle is delivered at once, and a batch is only what has already
// arrived. The bound keeps memory flat under a flood: past it the channel stops reading the socket (TCP
// backpressure on the server) until the inbox is taken.

/** Messages queued behind a commit before the socket is paused (the SSE read-ahead takes 64 chunks). */
export const MAX_QUEUED_MESSAGES = 64;
/** Bytes queued before the socket is paused; a single larger message (up to ws maxPayload) is let in. */
export const MAX_QUEUED_BYTES = 1024 * 1024;

/** A message as it came off the socket. */
export interface Arrived {
  text: string;
  bytes: number;
  receivedAt: number;
}

export interface Inbox {
  /** Queue a message; true when the inbox is at its bound (stop reading the socket). */
  push(message: Arrived): boolean;
  /** Everything queued, oldest first; the inbox is empty afterwards. */
  takeAll(): Arrived[];
  readonly size: number;
}

export function createInbox(maxMessages = MAX_QUEUED_MESSAGES, maxBytes = MAX_QUEUED_BYTES): Inbox {
  let queued: Arrived[] = [];
  let bytes = 0;
  return {
    push(message) {
      queued.push(message);
      bytes += message.bytes;
      return queued.length >= maxMessages || bytes >= maxBytes;
    },
    takeAll() {
      const all = queued;
      queued = [];
      bytes = 0;
      return all;
    },
    get size() {
      return queued.length;
    },
  };
}
