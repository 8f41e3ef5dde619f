// The red-team findings against the embedded server, one test per observation, black-box over HTTP on
// 127.0.0.1: every one of these passed through (or crashed) the server before the write rules, the
// scope policy, the limits and the input checks of docs/auth.md and docs/server.md existed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { signInBackendServices } from '../../../../src-main/core/auth/index.ts';
import { TOPIC_BASE } from '../../../../src-main/server/topics/definitions.ts';
import type { TestServer } from '../helpers.ts';
import {
  createSubscription,
  eventCount,
  fhir,
  focusOf,
  openSse,
  sseSubscription,
  startTestServer,
} from '../helpers.ts';
import {
  authorizationCode,
  backendKey,
  clientCredentials,
  criticalPotassium,
  eventually,
  labelsOf,
  patientOn,
  redeem,
  searchIds,
  signIn,
  wardLabel,
} from './support.ts';
import { startServerCli } from '../../../support/server-cli.ts';

const CRITICAL_LAB = `${TOPIC_BASE}/critical-lab-result`;
const VITAL_SIGNS = 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';

describe('what the red team saw', () => {
  let t: TestServer;
  let origin: string;
  let base: string;
  let labB: Awaited<ReturnType<typeof backendKey>>;
  beforeAll(async () => {
    const feed = await backendKey('lab-b');
    t = await startTestServer({
      backendClients: [
        {
          kind: 'backend',
          clientId: feed.clientId,
          jwks: { keys: [feed.publicJwk] },
          securityLabels: ['ward-b'],
          role: 'clinical-feed',
        },
      ],
    });
    origin = t.server.origin;
    base = t.server.fhirBase;
    labB = feed;
  });
  afterAll(() => t.close());

  it('a Ward B nurse who asks for user/*.cruds does not get it', async () => {
    const nurseB = await signIn(origin, base, 'nurse-b', 'openid fhirUser user/*.cruds');
    expect(nurseB.status).toBe(200);
    const granted = nurseB.scope.split(' ');
    expect(granted).not.toContain('user/*.cruds');
    // What a nurse may write is the acknowledgment record, escalation steps (Tasks with the escalation
    // code only) and her own subscriptions, nothing else.
    for (const scope of granted.filter((s) => s.startsWith('user/'))) {
      const [type, permissions] = scope.slice('user/'.length).split('.') as [string, string];
      if (/[cud]/.test(permissions)) expect(['Communication', 'Subscription', 'Task']).toContain(type);
      if (type === 'Task' && /[cud]/.test(permissions))
        expect(scope).toMatch(/\?code=[^&]+\|critical-result-escalation$/);
    }
  });

  it('with it she cannot post a critical potassium for a Ward A patient, nor reach Ward A’s feed', async () => {
    const nurseA = await signIn(origin, base, 'nurse-a', 'openid fhirUser user/*.cruds');
    const nurseB = await signIn(origin, base, 'nurse-b', 'openid fhirUser user/*.cruds');
    const wardA = await patientOn(base, nurseA.accessToken, 'ward-a');
    const sub = await createSubscription(t, nurseA.accessToken, { topic: CRITICAL_LAB });
    const posted = await fhir('POST', `${base}/Observation`, nurseB.accessToken, criticalPotassium(wardA));
    expect(posted.status).toBe(403);
    expect(posted.body.resourceType).toBe('OperationOutcome');
    // A real Ward A critical afterwards is event 1: nothing of nurse B's was logged before it.
    const real = t.server.simulator?.emitCriticalPotassium('ward-a');
    await eventually(
      async () => (await eventCount(t, nurseA.accessToken, sub.id)) >= 1,
      'the ward A critical',
    );
    const logged = await fhir('GET', `${base}/Subscription/${sub.id}/$events`, nurseA.accessToken);
    expect(focusOf(logged.body)).toBe(`${base}/Observation/${real?.id}`);
    expect(await eventCount(t, nurseA.accessToken, sub.id)).toBe(1);
  });

  it('with it she cannot delete a Practitioner nor replace a Location', async () => {
    const nurseB = await signIn(origin, base, 'nurse-b', 'openid fhirUser user/*.cruds');
    const deleted = await fhir('DELETE', `${base}/Practitioner/nurse-a`, nurseB.accessToken);
    expect(deleted.status).toBe(403);
    expect((await fhir('GET', `${base}/Practitioner/nurse-a`, nurseB.accessToken)).status).toBe(200);
    const ward = await fhir('GET', `${base}/Location/ward-a`, nurseB.accessToken);
    const replaced = await fhir('PUT', `${base}/Location/ward-a`, nurseB.accessToken, {
      ...ward.body,
      name: 'Closed',
    });
    expect(replaced.status).toBe(403);
    expect((await fhir('GET', `${base}/Location/ward-a`, nurseB.accessToken)).body.name).toBe(ward.body.name);
  });

  it('a Ward A patient cannot be saved without labels, read or relabelled from Ward B', async () => {
    const nurseA = await signIn(origin, base, 'nurse-a', 'openid fhirUser user/*.cruds');
    const nurseB = await signIn(origin, base, 'nurse-b', 'openid fhirUser user/*.cruds');
    const id = await patientOn(base, nurseA.accessToken, 'ward-a');
    const patient = (await fhir('GET', `${base}/Patient/${id}`, nurseA.accessToken)).body;
    const unlabelled = await fhir('PUT', `${base}/Patient/${id}`, nurseA.accessToken, {
      ...patient,
      meta: {},
    });
    expect(unlabelled.status).toBe(403);
    expect((await fhir('GET', `${base}/Patient/${id}`, nurseB.accessToken)).status).toBe(404);
    const relabelled = await fhir('PUT', `${base}/Patient/${id}`, nurseB.accessToken, {
      ...patient,
      meta: { security: [wardLabel('ward-b')] },
    });
    // A nurse never holds a Patient write (her role's ceiling), so this is refused before any lookup.
    expect(relabelled.status).toBe(403);
    const still = await fhir('GET', `${base}/Patient/${id}`, nurseA.accessToken);
    expect(still.status).toBe(200);
    expect(labelsOf(still.body)).toEqual(['ward-a']);
  });

  it('a narrowed v2 scope (category=vital-signs) is enforced, not widened to the whole type', async () => {
    const scope = `openid fhirUser user/Observation.rs?category=${VITAL_SIGNS} user/Subscription.cruds`;
    const narrowed = await signIn(origin, base, 'nurse-a', scope);
    expect(narrowed.status).toBe(200);
    const lab = t.server.simulator?.emitCriticalPotassium('ward-a');
    const read = await fhir('GET', `${base}/Observation/${lab?.id}`, narrowed.accessToken);
    expect(read.status).toBe(404);
    const found = await searchIds(base, narrowed.accessToken, 'Observation?_count=1000');
    expect(found).not.toContain(lab?.id);
    // A subscription on the lab topic never carries a laboratory result to this token.
    const sub = await fhir('POST', `${base}/Subscription`, narrowed.accessToken, sseSubscription());
    if (sub.status === 201) {
      const id = String(sub.body.id);
      const signal = await signIn(origin, base, 'nurse-a', 'openid user/*.rs user/Subscription.cruds');
      const witness = await createSubscription(t, signal.accessToken, { topic: CRITICAL_LAB });
      t.server.simulator?.emitCriticalPotassium('ward-a');
      await eventually(
        async () => (await eventCount(t, signal.accessToken, witness.id)) >= 1,
        'the witness subscription to log the critical',
      );
      expect(await eventCount(t, narrowed.accessToken, id)).toBe(0);
    } else {
      expect(sub.status).toBe(403);
    }
  });

  it('a Backend Services registration’s allowedScopes are honoured (the standalone CLI)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alert-cli-scopes-'));
    const key = await backendKey('ward-display');
    const registration = join(dir, 'ward-display.json');
    writeFileSync(
      registration,
      JSON.stringify({
        clientId: key.clientId,
        jwks: { keys: [key.publicJwk] },
        securityLabels: ['ward-a'],
        allowedScopes: ['system/Observation.rs', 'system/Subscription.cruds'],
      }),
    );
    const { child, origin: cliOrigin } = await startServerCli([
      ...['--port', '0', '--db', join(dir, 'server.sqlite')],
      ...['--backend-client', registration],
    ]);
    try {
      const wide = await clientCredentials(cliOrigin, key, 'system/*.cruds');
      expect(wide.status).toBe(200);
      for (const scope of wide.scope.split(' ')) {
        expect(['system/Observation.rs', 'system/Subscription.cruds']).toContain(scope);
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a foreign Host header (DNS rebinding), on HTTP and on the websocket upgrade', async () => {
    const port = Number(new URL(origin).port);
    const plain = await rawGet(port, '/fhir/metadata', 'attacker.example');
    expect(plain.status).toBe(421);
    expect(plain.body).toContain('OperationOutcome');
    const upgrade = await rawGet(port, '/ws/subscriptions', `attacker.example:${port}`, {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect(upgrade.status).toBe(421);
    expect((await rawGet(port, '/fhir/metadata', `127.0.0.1:${port}`)).status).toBe(200);
    expect((await rawGet(port, '/fhir/metadata', `localhost:${port}`)).status).toBe(200);
  });

  it('DELETE and PUT answer the same 404 for another ward’s id and for an id that does not exist', async () => {
    const nurseA = await signIn(origin, base, 'nurse-a', 'openid user/*.rs');
    const nurseB = await signIn(origin, base, 'nurse-b', 'openid user/*.rs');
    const labB_ = await clientCredentials(origin, labB, 'system/*.cruds');
    expect(labB_.status).toBe(200);
    const feed = labB_.accessToken;
    const wardA = t.server.simulator?.emitCriticalPotassium('ward-a');
    const wardBPatient = await patientOn(base, nurseB.accessToken, 'ward-b');
    const body = (id: string) => ({ ...criticalPotassium(wardBPatient), id });

    const foreignDelete = await fhir('DELETE', `${base}/Observation/${wardA?.id}`, feed);
    const unknownDelete = await fhir('DELETE', `${base}/Observation/no-such-observation`, feed);
    expect([foreignDelete.status, unknownDelete.status]).toEqual([404, 404]);
    expect(diagnostics(foreignDelete.body, wardA?.id)).toBe(
      diagnostics(unknownDelete.body, 'no-such-observation'),
    );

    const foreignPut = await fhir('PUT', `${base}/Observation/${wardA?.id}`, feed, body(wardA?.id ?? ''));
    const unknownPut = await fhir(
      'PUT',
      `${base}/Observation/no-such-observation`,
      feed,
      body('no-such-observation'),
    );
    expect([foreignPut.status, unknownPut.status]).toEqual([404, 404]);
    expect(diagnostics(foreignPut.body, wardA?.id)).toBe(diagnostics(unknownPut.body, 'no-such-observation'));
    expect((await fhir('GET', `${base}/Observation/${wardA?.id}`, nurseA.accessToken)).status).toBe(200);
  });

  it('a token request without code_verifier burns the code', async () => {
    const { code, verifier } = await authorizationCode(origin, base, 'nurse-a', 'openid user/Patient.rs');
    const without = await redeem(origin, code, undefined);
    expect(without.status).toBe(400);
    const after = await redeem(origin, code, verifier);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
  });

  it('refuses a client assertion whose iat is a day in the future', async () => {
    const future = Math.floor(Date.now() / 1000) + 86_400;
    const answer = await clientCredentials(origin, labB, 'system/Observation.rs', {
      claims: { iat: future },
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('refuses a client assertion without typ JWT, and the client’s own assertion carries it', async () => {
    const untyped = await clientCredentials(origin, labB, 'system/Observation.rs', {
      header: { typ: undefined },
    });
    expect(untyped.status).toBe(401);

    // The client core's Backend Services sign-in, seen on the wire through a recording loopback proxy.
    const proxy = await recordingProxy();
    const key = await backendKey('headless-monitor');
    const behind = await startTestServer({
      publicOrigin: proxy.origin,
      simulate: false,
      backendClients: [
        {
          kind: 'backend',
          clientId: key.clientId,
          jwks: { keys: [key.publicJwk] },
          securityLabels: ['ward-a'],
        },
      ],
    });
    proxy.target = behind.server.boundOrigin;
    try {
      const session = await signInBackendServices({
        fhirBase: `${proxy.origin}/fhir`,
        clientId: key.clientId,
        privateKey: key.privateKey,
        kid: key.kid,
        scopes: ['system/Observation.rs'],
        allowInsecureLoopback: true,
      });
      expect(await session.accessToken()).toMatch(/^at_/);
      const assertion = proxy.assertions[0] ?? '';
      expect(decodeProtectedHeader(assertion).typ).toBe('JWT');
    } finally {
      await behind.close();
      proxy.close();
    }
  });
});

describe('what the red team saw: connections', () => {
  it('websockets that never bind are closed at the bind deadline', async () => {
    const t = await startTestServer({ simulate: false, websocketBindTimeoutMs: 300 });
    try {
      const url = `${t.server.origin.replace(/^http/, 'ws')}/ws/subscriptions`;
      const sockets = await Promise.all(Array.from({ length: 20 }, () => openWebSocket(url)));
      await eventually(
        () => sockets.every((s) => s.readyState === WebSocket.CLOSED),
        'unbound sockets to close',
      );
    } finally {
      await t.close();
    }
  });

  it('one token cannot hold more SSE streams than the per-grant cap', async () => {
    const t = await startTestServer({ simulate: false, maxStreamsPerGrant: 3 });
    try {
      const nurse = await signIn(
        t.server.origin,
        t.server.fhirBase,
        'nurse-a',
        'openid user/*.rs user/Subscription.cruds',
      );
      const sub = await createSubscription(t, nurse.accessToken, { topic: CRITICAL_LAB });
      const auth = { authorization: `Bearer ${nurse.accessToken}` };
      const open = [
        await openSse(sub.endpoint, auth),
        await openSse(sub.endpoint, auth),
        await openSse(sub.endpoint, auth),
      ];
      expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
      const fourth = await openSse(sub.endpoint, auth);
      expect(fourth.status).toBe(429);
      expect(fourth.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(fourth.body).toContain('OperationOutcome');
      for (const stream of open) stream.close();
    } finally {
      await t.close();
    }
  });
});

describe('what the red team saw: 500 instead of 400', () => {
  let t: TestServer;
  let token: string;
  beforeAll(async () => {
    t = await startTestServer();
    token = (await signIn(t.server.origin, t.server.fhirBase, 'nurse-a', 'openid user/*.cruds')).accessToken;
  });
  afterAll(() => t.close());

  it('filter criteria with malformed percent-encoding', async () => {
    const res = await fhir(
      'POST',
      `${t.server.fhirBase}/Subscription`,
      token,
      sseSubscription({ filter: 'patient=%E0%A4%A' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('an _offset beyond any integer SQLite holds', async () => {
    const res = await fhir('GET', `${t.server.fhirBase}/Observation?_offset=99999999999999999999999`, token);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('a body nested 50,000 levels deep', async () => {
    const depth = 50_000;
    const body = `{"resourceType":"Communication","status":"completed","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const res = await fhir('POST', `${t.server.fhirBase}/Communication`, token, body);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await fhir('GET', `${t.server.fhirBase}/metadata`, null)).status).toBe(200);
  });
});

// ------------------------------------------------------------------------------------------- helpers

function diagnostics(outcome: Record<string, unknown>, id: string | undefined): string {
  const issue = (outcome.issue as { code?: string; diagnostics?: string }[] | undefined)?.[0];
  // The id differs between the two requests; everything else about the answer must not.
  return `${issue?.code ?? ''} ${(issue?.diagnostics ?? '').replace(id ?? '', '<id>')}`;
}

async function rawGet(
  port: number,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

async function openWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

interface RecordingProxy {
  origin: string;
  target: string;
  assertions: string[];
  close(): void;
}

/** A loopback pass-through that records the client assertions sent to the token endpoint. */
async function recordingProxy(): Promise<RecordingProxy> {
  const proxy: RecordingProxy = { origin: '', target: '', assertions: [], close: () => server.close() };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url?.startsWith('/auth/token')) {
        const assertion = new URLSearchParams(body.toString('utf8')).get('client_assertion');
        if (assertion) proxy.assertions.push(assertion);
      }
      const target = new URL(req.url ?? '/', proxy.target);
      const upstream = httpRequest(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
