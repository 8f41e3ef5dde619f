// A hostile server on 127.0.0.1 (an attacker's, or a misconfigured proxy's): every answer is a chunked
// body of `totalBytes` with no Content-Length, or one that declares its size when `declare` is set. It
// writes only as fast as the client reads (it waits for `drain`), so `written()` says how much the
// client actually took before it stopped reading.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FloodingServer {
  origin: string;
  /** Bytes the client took off the connection, over every request so far. */
  written(): number;
  /** Resolves when every answer so far has ended or been cut off by the client. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startFloodingServer(options: {
  totalBytes: number;
  declare?: boolean;
  contentType?: string;
}): Promise<FloodingServer> {
  let written = 0;
  const open = new Set<Promise<void>>();
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': options.contentType ?? 'application/fhir+json',
      ...(options.declare ? { 'content-length': String(options.totalBytes) } : {}),
    });
    const done = new Promise<void>((resolve) => {
      let cut = false;
      response.on('close', () => {
        cut = true;
        resolve();
      });
      const pump = async () => {
        while (!cut && written < options.totalBytes) {
          const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - written));
          written += piece.length;
          if (!response.write(piece)) await new Promise((r) => response.once('drain', r).once('close', r));
        }
        if (!cut) response.end();
      };
      void pump();
    });
    open.add(done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    written: () => written,
    settled: async () => {
      await Promise.all(open);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
