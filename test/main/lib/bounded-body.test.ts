// Reading an outside server's answer no further than a limit, over real loopback HTTP
// (test/support/flooding-server.ts writes only as fast as the reader takes).
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, readJsonWithin, readTextWithin } from '../../../src-main/lib/bounded-body.ts';
import { startFloodingServer, type FloodingServer } from '../../support/flooding-server.ts';

let server: FloodingServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('readTextWithin', () => {
  it('reads an answer within the limit whole', async () => {
    server = await startFloodingServer({ totalBytes: 200_000 });
    const text = await readTextWithin(await fetch(server.origin), 200_000);
    expect(text).toHaveLength(200_000);
  });

  it('stops at the limit of an undeclared (chunked) answer and closes the connection', async () => {
    server = await startFloodingServer({ totalBytes: 32 * 1024 * 1024 });
    const read = readTextWithin(await fetch(server.origin), 256 * 1024);
    await expect(read).rejects.toThrow(BodyTooLargeError);
    await expect(read).rejects.toThrow('response exceeds the 262144-byte limit');
    await server.settled(); // the server saw the client go away
    expect(server.written()).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a declared size over the limit before reading', async () => {
    server = await startFloodingServer({ totalBytes: 1_000_000, declare: true });
    await expect(readTextWithin(await fetch(server.origin), 1000)).rejects.toThrow(
      'response of 1000000 bytes exceeds the 1000-byte limit',
    );
  });
});

describe('readJsonWithin', () => {
  it('throws on a body that is not JSON', async () => {
    server = await startFloodingServer({ totalBytes: 10, contentType: 'application/json' });
    await expect(readJsonWithin(await fetch(server.origin), 1000)).rejects.toThrow(SyntaxError);
  });
});
