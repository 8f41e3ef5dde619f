// The claim-check read against a server that answers with far more than any resource (a hostile server,
// a misconfigured proxy), over real loopback HTTP (test/support/flooding-server.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { fhirFetch, type FhirAccess } from '../../../../src-main/core/fhir/fhir-client.ts';
import { startFloodingServer, type FloodingServer } from '../../../support/flooding-server.ts';

const LIMIT = 4 * 1024 * 1024;
const FLOOD = 64 * 1024 * 1024;

let server: FloodingServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const accessTo = (fhirBase: string): FhirAccess => ({
  fhirBase,
  accessToken: async () => 'at_test',
  onUnauthorized: async () => false,
});

describe('fhirFetch', () => {
  it('stops reading a chunked answer at the 4 MiB limit, instead of holding all of it first', async () => {
    server = await startFloodingServer({ totalBytes: FLOOD });
    await expect(fhirFetch(accessTo(`${server.origin}/fhir`), 'Observation/o1')).rejects.toThrow(
      /exceeds the 4194304-byte limit/,
    );
    await server.settled();
    // What it took off the wire: the limit and what the socket buffers held, not the 64 MiB on offer.
    expect(server.written()).toBeLessThan(LIMIT * 4);
  });

  it('refuses an answer that declares more than the limit without reading it', async () => {
    server = await startFloodingServer({ totalBytes: FLOOD, declare: true });
    await expect(fhirFetch(accessTo(`${server.origin}/fhir`), 'Observation/o1')).rejects.toThrow(
      `response of ${FLOOD} bytes exceeds the 4194304-byte limit`,
    );
    await server.settled();
    expect(server.written()).toBeLessThan(LIMIT * 4);
  });
});
