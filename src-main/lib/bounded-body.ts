// Reading an HTTP answer from a server we do not control, no further than a limit. `Content-Length` is
// only a claim: a chunked answer declares nothing, and `response.json()` or `arrayBuffer()` would hold
// all of it in memory before anyone could check its size (200 MiB from a hostile FHIR server grew the
// monitor by 221 MiB). So the body is read chunk by chunk and the read stops at the limit.

/** Discovery documents, OpenID metadata and JWKS: a few KiB from any real server. */
export const MAX_METADATA_BYTES = 1024 * 1024;

/** Answers that carry a token or a binding ($get-ws-binding-token): a few hundred bytes. */
export const MAX_CONTROL_ANSWER_BYTES = 64 * 1024;

export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number, declared: number | null) {
    super(
      declared === null
        ? `response exceeds the ${limit}-byte limit`
        : `response of ${declared} bytes exceeds the ${limit}-byte limit`,
    );
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** The body's bytes, at most `maxBytes`; throws BodyTooLargeError (and cancels the read) past them. */
export async function readBytesWithin(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(maxBytes, declared);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(maxBytes, null);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** The body as UTF-8 text, at most `maxBytes`. */
export async function readTextWithin(response: Response, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readBytesWithin(response, maxBytes));
}

/** The body parsed as JSON, at most `maxBytes`; throws on a body over the limit or not JSON. */
export async function readJsonWithin(response: Response, maxBytes: number): Promise<unknown> {
  return JSON.parse(await readTextWithin(response, maxBytes)) as unknown;
}
