// Group commit for a stream: the chunks that arrived while the previous batch was being committed are
// read together and committed as one (one transaction, one fsync), instead of one commit per network
// chunk. Nothing waits for more data to come: only what is already here is taken — a read that the
// network can answer within two turns of the event loop (data already in the socket's buffer; the
// fetch body hands chunks over only when asked). Bounded per batch.
const NOTHING_YET = Symbol('nothing yet');
const MAX_CHUNKS = 64;
/**
 * Only a large chunk means a backlog (a catch-up, a burst): then what else has arrived is read with it.
 * A small one is a live event on its own, delivered as it came without waiting on the event loop.
 */
const BACKLOG_CHUNK_BYTES = 8 * 1024;

export interface ReadAhead {
  /** The next chunk (waits for the network). */
  next(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** `first` and every chunk already arrived behind it; `ended`: the stream ended among them. */
  arrived(first: Uint8Array): Promise<{ chunks: Uint8Array[]; ended: boolean }>;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Two hops through the event loop: past a poll phase, where data already received is read. */
const twoTurns = async (): Promise<typeof NOTHING_YET> => {
  await turn();
  await turn();
  return NOTHING_YET;
};

export function createReadAhead(reader: ReadableStreamDefaultReader<Uint8Array>): ReadAhead {
  // A read that lost a race is kept: its chunk is the next one, never dropped.
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  const read = (): Promise<ReadableStreamReadResult<Uint8Array>> => (pending ??= reader.read());
  return {
    async next() {
      const result = await read();
      pending = null;
      return result;
    },
    async arrived(first) {
      const chunks = [first];
      if (first.byteLength < BACKLOG_CHUNK_BYTES) return { chunks, ended: false };
      while (chunks.length < MAX_CHUNKS) {
        const result = await Promise.race([read(), twoTurns()]);
        if (result === NOTHING_YET) break;
        pending = null;
        if (result.done) return { chunks, ended: true };
        chunks.push(result.value);
      }
      return { chunks, ended: false };
    },
  };
}
