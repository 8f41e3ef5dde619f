// Independent peer: the `fhirclient` npm package (SMART JS client) completes a standalone launch against our
// authorization server non-interactively (fake Node req/res, the sign-in page driven by fetch) and reads a
// resource from the real embedded FHIR server with the token it obtained.
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import smart from 'fhirclient';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../../src-main/server/server.ts';
import type { RunningServer } from '../../../../src-main/server/server.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { driveSignIn } from './helpers.ts';

const APP_HOST = '127.0.0.1:47123';

function fakeReq(url: string): IncomingMessage {
  return { url, headers: { host: APP_HOST }, socket: {} } as unknown as IncomingMessage;
}

function fakeRes(): ServerResponse {
  return { writeHead: () => undefined, end: () => undefined } as unknown as ServerResponse;
}

function memoryStorage() {
  const values = new Map<string, unknown>();
  return {
    async get(key: string) {
      return values.get(key);
    },
    async set(key: string, value: unknown) {
      values.set(key, value);
      return value;
    },
    async unset(key: string) {
      return values.delete(key);
    },
  };
}

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auth-fhirclient-'));
  server = await startServer({
    dbPath: join(dir, 'server.db'),
    simulate: { seed: 7 },
    accessTokenTtlSeconds: 300,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fhirclient (independent SMART client) against the local AS', () => {
  it('standalone launch with PKCE: patient, fhirUser, refresh token, then reads the Patient', async () => {
    // A ward-A patient the charge nurse of ward A may see (found with a server-minted token).
    const { accessToken } = server.auth.issueToken({
      userId: 'nurse-a',
      clientId: DEMO_CLIENT_ID,
      scopes: ['user/Patient.rs'],
    });
    const search = await fetch(`${server.fhirBase}/Patient?_count=1`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(search.status).toBe(200);
    const bundle = (await search.json()) as { entry?: { resource: { id: string } }[] };
    const patientId = bundle.entry?.[0]?.resource.id;
    expect(patientId).toBeTruthy();

    const storage = memoryStorage();
    const authorizeUrl = await smart(fakeReq('/launch'), fakeRes(), storage).authorize({
      iss: server.fhirBase,
      clientId: DEMO_CLIENT_ID,
      // user/ scopes: the embedded FHIR server fails closed on patient/ scopes (src-main/server/base/authz.ts).
      scope: 'openid fhirUser offline_access launch/patient user/Patient.rs user/Observation.rs',
      redirectUri: `http://${APP_HOST}/callback`,
      pkceMode: 'required',
      noRedirect: true,
    });
    expect(typeof authorizeUrl).toBe('string');
    const url = new URL(String(authorizeUrl));
    expect(url.searchParams.get('aud')).toBe(server.fhirBase);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');

    const redirect = await driveSignIn(url.href, { user: 'nurse-a', patient: patientId ?? '' });
    expect(redirect.host).toBe(APP_HOST);
    const client = await smart(fakeReq(`${redirect.pathname}${redirect.search}`), fakeRes(), storage).ready();

    expect(client.patient.id).toBe(patientId);
    expect(client.user.fhirUser).toBe('Practitioner/nurse-a');
    expect(client.getState('tokenResponse.need_patient_banner')).toBe(true);
    expect(client.getState('tokenResponse.refresh_token')).toMatch(/^rt_/);

    const patient = (await client.patient.read()) as { resourceType: string; id: string };
    expect(patient).toMatchObject({ resourceType: 'Patient', id: patientId });

    const before = String(client.getState('tokenResponse.access_token'));
    await client.refresh();
    expect(client.getState('tokenResponse.access_token')).not.toBe(before);
    const again = (await client.request(`Patient/${patientId}`)) as { id: string };
    expect(again.id).toBe(patientId);
  });
});
