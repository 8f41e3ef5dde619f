// Bad input on the REST surface: oversized bodies get 413 without the server reading them whole (declared
// Content-Length and chunked uploads), malformed JSON / wrong resourceType / missing required elements get
// 400 OperationOutcomes, and none of it changes the store or stops the server.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src-main/lib/sqlite.ts';
import type { TestServer } from '../helpers.ts';
import { fhir, startTestServer } from '../helpers.ts';

let t: TestServer;
/** The directory (Practitioner) is written by an administrator, clinical data by a feed, subscriptions by
 * a nurse (docs/auth.md, "Roles"): each case uses a caller allowed to write, so only the body is wrong. */
let token: string;
let feed: string;
let nurse: string;
beforeAll(async () => {
  t = await startTestServer();
  token = t.token('admin');
  feed = t.feed();
  nurse = t.token('nurse-a');
});
const tokenFor = (path: string): string =>
  path.startsWith('Practitioner') ? token : path.startsWith('Subscription') ? nurse : feed;
afterAll(async () => {
  await t.close();
});

const MiB = 1024 * 1024;

interface RawResult {
  status: number;
  body: string;
  /** Body bytes the client had written when the response head arrived. */
  sentBeforeResponse: number;
}

/**
 * POST a body to the server over a raw socket, writing `chunk`-sized pieces (bounded by `maxBytes`) and
 * stopping as soon as a response arrives. `declaredLength` sends Content-Length, else chunked encoding.
 */
async function rawUpload(path: string, maxBytes: number, declaredLength?: number): Promise<RawResult> {
  const origin = new URL(t.server.origin);
  const socket = connect({ host: origin.hostname, port: Number(origin.port) });
  socket.on('error', () => undefined); // the server may reset after answering; the answer is what counts
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let response = '';
  let sent = 0;
  let sentAtResponse = -1;
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      if (sentAtResponse < 0) sentAtResponse = sent;
      response += chunk.toString('latin1');
      const headEnd = response.indexOf('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(response);
      if (headEnd >= 0 && length && response.length >= headEnd + 4 + Number(length[1])) resolve();
    });
    socket.once('close', () => resolve());
  });
  const framing =
    declaredLength !== undefined ? `Content-Length: ${declaredLength}` : 'Transfer-Encoding: chunked';
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${origin.host}\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/fhir+json\r\n${framing}\r\n\r\n`,
  );
  const piece = Buffer.alloc(64 * 1024, 'x');
  const opening = Buffer.from('{"resourceType":"Practitioner","text":"');
  let first = true;
  while (sentAtResponse < 0 && sent < maxBytes && !socket.destroyed) {
    const data = first ? Buffer.concat([opening, piece.subarray(opening.length)]) : piece;
    first = false;
    const ok =
      declaredLength !== undefined
        ? socket.write(data)
        : socket.write(`${data.length.toString(16)}\r\n`) && socket.write(data) && socket.write('\r\n');
    sent += data.length;
    if (!ok) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), answered]);
    // Pace like a network sender (~32 MB/s): the server closes after its 413, and a client still
    // blasting data gets a TCP reset that can discard the unread answer (no lingering close).
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 5000))]);
  socket.destroy();
  const headEnd = response.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0),
    body: headEnd >= 0 ? response.slice(headEnd + 4) : '',
    sentBeforeResponse: sentAtResponse,
  };
}

function practitionerCount(): number {
  const db = openDatabase(t.dbPath, { readonly: true });
  try {
    return (
      db
        .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM resource_version WHERE type = 'Practitioner'")
        .get()?.n ?? -1
    );
  } finally {
    db.close();
  }
}

describe('bodies over 1 MiB', () => {
  it('answers 413 at once for a declared Content-Length over the limit, without waiting for the body', async () => {
    const before = practitionerCount();
    // Declares 64 MiB but the client stops as soon as the answer arrives; the answer must not wait.
    const result = await rawUpload('/fhir/Practitioner', 8 * MiB, 64 * MiB);
    expect(result.status).toBe(413);
    expect(result.sentBeforeResponse).toBeLessThan(2 * MiB);
    const outcome = JSON.parse(result.body) as { resourceType: string; issue: { code: string }[] };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]?.code).toBe('too-costly');
    expect(practitionerCount()).toBe(before);
  });

  it('answers 413 for a chunked upload once it passes the limit, without reading the rest', async () => {
    const before = practitionerCount();
    const result = await rawUpload('/fhir/Practitioner', 16 * MiB);
    expect(result.status).toBe(413);
    // The server stops at ~1 MiB; allow for what sits in socket buffers on the way.
    expect(result.sentBeforeResponse).toBeGreaterThan(0);
    expect(result.sentBeforeResponse).toBeLessThan(8 * MiB);
    expect((JSON.parse(result.body) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect(practitionerCount()).toBe(before);
  });

  it('applies the limit to PUT, Subscription operations and the token endpoint too', async () => {
    const big = 'x'.repeat(MiB + 1);
    const put = await fhir('PUT', `${t.server.fhirBase}/Practitioner/big`, token, {
      resourceType: 'Practitioner',
      id: 'big',
      text: big,
    });
    expect(put.status).toBe(413);
    const op = await fhir('POST', `${t.server.fhirBase}/Subscription/$status`, token, {
      resourceType: 'Parameters',
      text: big,
    });
    expect(op.status).toBe(413);
    const tokenEndpoint = await fetch(`${t.server.origin}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${big}`,
    });
    expect(tokenEndpoint.status).toBe(413);
    await tokenEndpoint.body?.cancel();
  });

  it('accepts a body just under the limit', async () => {
    const text = 'y'.repeat(MiB - 200);
    const res = await fhir('POST', `${t.server.fhirBase}/Practitioner`, token, {
      resourceType: 'Practitioner',
      text,
    });
    expect(res.status).toBe(201);
  });
});

describe('malformed resources', () => {
  const cases: [string, string, string, unknown, RegExp][] = [
    ['POST', 'Observation', 'truncated JSON', '{"resourceType":"Observation",', /not valid JSON/],
    ['POST', 'Observation', 'trailing garbage', '{"resourceType":"Observation"} x', /not valid JSON/],
    ['POST', 'Observation', 'JSON array', '[]', /JSON object/],
    ['POST', 'Observation', 'JSON null', 'null', /JSON object/],
    ['POST', 'Observation', 'JSON string', '"Observation"', /JSON object/],
    ['POST', 'Observation', 'no resourceType', { status: 'final', code: {} }, /resourceType/],
    ['POST', 'Observation', 'wrong resourceType', { resourceType: 'Patient' }, /resourceType/],
    ['POST', 'Observation', 'missing status', { resourceType: 'Observation', code: {} }, /status/],
    [
      'POST',
      'Observation',
      'status wrong type',
      { resourceType: 'Observation', status: 5, code: {} },
      /status/,
    ],
    ['POST', 'Observation', 'missing code', { resourceType: 'Observation', status: 'final' }, /code/],
    [
      'POST',
      'MedicationRequest',
      'missing medication[x]',
      {
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: 'Patient/p' },
      },
      /medication/,
    ],
    ['POST', 'Encounter', 'missing class', { resourceType: 'Encounter', status: 'planned' }, /class/],
    [
      'POST',
      'Subscription',
      'missing criteria',
      { resourceType: 'Subscription', status: 'requested', channel: {} },
      /criteria/,
    ],
    ['PUT', 'Practitioner/p-1', 'id mismatch', { resourceType: 'Practitioner', id: 'p-2' }, /does not match/],
    ['PUT', 'Practitioner/p-1', 'wrong resourceType', { resourceType: 'Patient', id: 'p-1' }, /resourceType/],
    ['PUT', 'Practitioner/bad_id!', 'bad id', { resourceType: 'Practitioner', id: 'bad_id!' }, /id/],
  ];

  it.each(cases)('%s %s with %s → 400 OperationOutcome', async (method, path, _name, body, message) => {
    const res = await fhir(method, `${t.server.fhirBase}/${path}`, tokenFor(path), body);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const issue = (res.body.issue as { severity: string; diagnostics: string }[])[0];
    expect(issue?.severity).toBe('error');
    expect(issue?.diagnostics).toMatch(message);
  });

  it('leaves the store intact and keeps serving after all of the above', async () => {
    const db = openDatabase(t.dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stray = db
        .prepare<[], { n: number }>(
          "SELECT COUNT(*) AS n FROM resource_version WHERE id IN ('p-1', 'p-2', 'big') OR body LIKE '%xxxxxxxx%'",
        )
        .get();
      expect(stray?.n).toBe(0);
    } finally {
      db.close();
    }
    const ok = await fhir('POST', `${t.server.fhirBase}/Practitioner`, token, {
      resourceType: 'Practitioner',
      name: [{ text: 'after' }],
    });
    expect(ok.status).toBe(201);
  });
});
