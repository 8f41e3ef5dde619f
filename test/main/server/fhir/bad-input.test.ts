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
 * POST over a raw socket: the head (Content-Length `declaredLength`, else chunked encoding with one chunk
 * declared larger than anything sent), exactly `bodyBytes` of body, then nothing more (the request stays
 * unfinished), and wait for the answer. Sending no more than the server reads before it answers keeps
 * this deterministic: a client still sending when the server closes after its 413 gets a TCP reset that
 * can discard the unread answer.
 */
async function rawUpload(path: string, bodyBytes: number, declaredLength?: number): Promise<RawResult> {
  const origin = new URL(t.server.origin);
  const socket = connect({ host: origin.hostname, port: Number(origin.port) });
  socket.on('error', () => undefined);
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
      `Content-Type: application/fhir+json\r\n${framing}\r\n\r\n` +
      (declaredLength === undefined ? `${(2 * bodyBytes).toString(16)}\r\n` : ''),
  );
  const body = Buffer.alloc(bodyBytes, 'x');
  body.write('{"resourceType":"Practitioner","text":"');
  for (let at = 0; at < bodyBytes && sentAtResponse < 0 && !socket.destroyed; at += 64 * 1024) {
    const piece = body.subarray(at, Math.min(at + 64 * 1024, bodyBytes));
    sent += piece.length;
    if (!socket.write(piece)) await Promise.race([new Promise((r) => socket.once('drain', r)), answered]);
  }
  // A deadline against a server that never answers (then the status is 0), not a speed expectation.
  await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 30_000))]);
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
    // Declares 64 MiB and sends none of it: the answer comes from the head alone, without the body.
    const result = await rawUpload('/fhir/Practitioner', 0, 64 * MiB);
    expect(result.status).toBe(413);
    expect(result.sentBeforeResponse).toBeLessThan(2 * MiB);
    const outcome = JSON.parse(result.body) as { resourceType: string; issue: { code: string }[] };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]?.code).toBe('too-costly');
    expect(practitionerCount()).toBe(before);
  });

  it('answers 413 for a chunked upload once it passes the limit, without reading the rest', async () => {
    const before = practitionerCount();
    // One byte past the 1 MiB limit, and the body never ends: the 413 comes without the rest.
    const result = await rawUpload('/fhir/Practitioner', MiB + 1);
    expect(result.status).toBe(413);
    expect(result.sentBeforeResponse).toBeGreaterThan(0);
    expect(result.sentBeforeResponse).toBeLessThan(8 * MiB);
    // It answered only once the limit was passed: not before the last byte sent.
    expect(result.sentBeforeResponse).toBe(MiB + 1);
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
