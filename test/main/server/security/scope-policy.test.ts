// The scope policy per user and client (base/roles.ts, docs/auth.md "Roles"): requested scopes are
// intersected with the role's ceiling, the consent page shows exactly what approving grants, the app's
// own default scopes fit its users' roles, and a Backend Services registration gets no more than its
// role and its allowedScopes. Black-box over HTTP: sign-in page, token endpoint, FHIR reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../../../src-main/core/auth/index.ts';
import { pkcePair } from '../auth/helpers.ts';
import type { TestServer } from '../helpers.ts';
import { fhir, startTestServer } from '../helpers.ts';
import type { BackendKey } from './support.ts';
import { authorizeUrl, backendKey, clientCredentials, signIn } from './support.ts';

const WIDE = 'openid fhirUser offline_access user/*.cruds';
const IDENTITY = ['openid', 'fhirUser', 'offline_access'];
const DIRECTORY = ['Practitioner', 'PractitionerRole', 'Location', 'Organization'];

/** What each demo user gets when an app asks for everything (docs/auth.md, "Roles"). */
/** Nurses write escalation steps of the closed loop, and no other Task. */
const ESCALATION_TASKS =
  'user/Task.cru?code=http://alert-monitor.local/fhir/CodeSystem/closed-loop|critical-result-escalation';
/** Pharmacists write verification Tasks (docs/pharmacy.md), and no other Task. */
const VERIFY_TASKS = 'user/Task.cru?code=http://alert-monitor.local/fhir/CodeSystem/task-code|verify';
const EXPECTED: Record<string, string[]> = {
  'nurse-a': [
    ...IDENTITY,
    'user/*.rs',
    'user/Subscription.cruds',
    'user/Communication.cru',
    ESCALATION_TASKS,
  ],
  'nurse-b': [
    ...IDENTITY,
    'user/*.rs',
    'user/Subscription.cruds',
    'user/Communication.cru',
    ESCALATION_TASKS,
  ],
  pharmacist: [
    ...IDENTITY,
    'user/*.rs',
    'user/Subscription.cruds',
    'user/Communication.cru',
    VERIFY_TASKS,
    'user/DetectedIssue.cru',
  ],
  admin: [...IDENTITY, ...DIRECTORY.map((type) => `user/${type}.cruds`), 'user/Basic.rs'],
};

let t: TestServer;
let origin: string;
let base: string;
const keys: Record<string, BackendKey> = {};
beforeAll(async () => {
  for (const id of ['monitor-a', 'display-a', 'narrow-display', 'lab-b']) keys[id] = await backendKey(id);
  const registration = (id: string, extra: Record<string, unknown>) => ({
    kind: 'backend' as const,
    clientId: id,
    jwks: { keys: [keys[id]?.publicJwk ?? {}] },
    securityLabels: ['ward-a'],
    ...extra,
  });
  t = await startTestServer({
    backendClients: [
      registration('monitor-a', {}),
      registration('display-a', { role: 'ward-display' }),
      registration('narrow-display', {
        role: 'ward-display',
        allowedScopes: ['system/Observation.rs', 'system/Subscription.cruds'],
      }),
      { ...registration('lab-b', { role: 'clinical-feed' }), securityLabels: ['ward-b'] },
    ],
  });
  origin = t.server.origin;
  base = t.server.fhirBase;
});
afterAll(() => t.close());

describe('each demo user is held to the ceiling of their role', () => {
  for (const [user, expected] of Object.entries(EXPECTED)) {
    it(`${user} asking for user/*.cruds gets exactly the role's ceiling`, async () => {
      const token = await signIn(origin, base, user, WIDE);
      expect(token.status).toBe(200);
      expect(token.scope.split(' ')).toEqual(expected);
    });
  }

  it('the consent page shows, for each user, exactly what approving as them grants', async () => {
    const { challenge } = pkcePair();
    const page = await fetch(authorizeUrl(origin, base, WIDE, challenge));
    const html = await page.text();
    for (const [index, user] of Object.keys(EXPECTED).entries()) {
      expect(html).toContain(`value="${user}"`);
      const block = new RegExp(`id="user-${index}-grant">(.*?)</div>`, 's').exec(html)?.[1] ?? '';
      const shown = [...block.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
      const granted = (await signIn(origin, base, user, WIDE)).scope.split(' ');
      // Everything shown as granted is granted, and nothing else; the refused part follows it.
      expect(shown.slice(0, granted.length)).toEqual(granted);
    }
    expect(html).toContain('aria-describedby="user-0-grant"');
  });

  it('grants the app’s default scopes unchanged to the users they are meant for (a nurse’s Task narrowed to escalation steps)', async () => {
    // The app asks for the plain Task type (core/auth: a query would fail sign-in on servers that
    // cannot enforce one); the nurse's ceiling narrows it to reading Tasks and writing escalation steps.
    // A pharmacist's is narrowed to writing verification Tasks (docs/pharmacy.md).
    // (its Task reads come with the Task.rs it also asks for).
    const narrowed = (scopes: readonly string[], tasks: string[]) =>
      scopes.flatMap((scope) => (scope === 'user/Task.cru' ? tasks : [scope]));
    for (const [user, scopes] of [
      ['nurse-a', narrowed(DEFAULT_SCOPES.nurse, ['user/Task.r', ESCALATION_TASKS])],
      ['nurse-b', narrowed(DEFAULT_SCOPES.nurse, ['user/Task.r', ESCALATION_TASKS])],
      ['pharmacist', narrowed(DEFAULT_SCOPES.pharmacist, [VERIFY_TASKS])],
    ] as const) {
      const asked = user === 'pharmacist' ? DEFAULT_SCOPES.pharmacist : DEFAULT_SCOPES.nurse;
      const token = await signIn(origin, base, user, asked.join(' '));
      expect(token.scope.split(' ').sort()).toEqual([...scopes].sort());
    }
  });

  it('a user whose role allows none of the request is told so on the page, and gets no code', async () => {
    const { challenge } = pkcePair();
    const page = await fetch(authorizeUrl(origin, base, 'openid user/Observation.rs', challenge));
    const html = await page.text();
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const decision = await fetch(`${origin}/auth/authorize/decision`, {
      method: 'POST',
      body: new URLSearchParams({ request, decision: 'approve', user: 'admin' }),
      redirect: 'manual',
    });
    expect(decision.status).toBe(400);
    expect(await decision.text()).toMatch(/role="alert">[^<]*cannot be granted/);
  });

  it('an administrator reads no patient data and a nurse writes no directory entry', async () => {
    const admin = await signIn(origin, base, 'admin', WIDE);
    expect((await fhir('GET', `${base}/Patient`, admin.accessToken)).status).toBe(403);
    const nurse = await signIn(origin, base, 'nurse-a', WIDE);
    const practitioner = { resourceType: 'Practitioner', name: [{ text: 'Imposter' }] };
    expect((await fhir('POST', `${base}/Practitioner`, nurse.accessToken, practitioner)).status).toBe(403);
    expect((await fhir('POST', `${base}/Practitioner`, admin.accessToken, practitioner)).status).toBe(201);
  });
});

describe('Backend Services clients are held to their role and their registration', () => {
  it('a registration without a role reads its wards and owns subscriptions, nothing more', async () => {
    const token = await clientCredentials(origin, keys['monitor-a'] as BackendKey, 'system/*.cruds');
    expect(token.scope.split(' ')).toEqual(['system/*.rs', 'system/Subscription.cruds']);
  });

  it('a ward display is read-only (and its own subscriptions)', async () => {
    const token = await clientCredentials(
      origin,
      keys['display-a'] as BackendKey,
      'system/Observation.cruds system/Patient.rs',
    );
    expect(token.scope.split(' ')).toEqual(['system/Observation.rs', 'system/Patient.rs']);
  });

  it('allowedScopes narrow further, within the role', async () => {
    const token = await clientCredentials(origin, keys['narrow-display'] as BackendKey, 'system/*.cruds');
    expect(token.scope.split(' ')).toEqual(['system/Observation.rs', 'system/Subscription.cruds']);
    const none = await clientCredentials(origin, keys['narrow-display'] as BackendKey, 'system/Patient.rs');
    expect(none.status).toBe(400);
    expect(none.body.error).toBe('invalid_scope');
  });

  it('a clinical feed writes clinical data but never the directory, even with a wildcard', async () => {
    const token = await clientCredentials(origin, keys['lab-b'] as BackendKey, 'system/*.cruds');
    expect(token.scope.split(' ')).toContain('system/Observation.cud');
    const location = { resourceType: 'Location', name: 'Annex' };
    const res = await fhir('POST', `${base}/Location`, token.accessToken, location);
    expect(res.status).toBe(403);
  });

  it('refuses to start with a registration its role cannot hold', async () => {
    const key = await backendKey('display-two-wards');
    await expect(
      startTestServer({
        simulate: false,
        backendClients: [
          {
            kind: 'backend',
            clientId: key.clientId,
            jwks: { keys: [key.publicJwk] },
            securityLabels: ['ward-a', 'ward-b'],
            role: 'ward-display',
          },
        ],
      }),
    ).rejects.toThrow(/ward display holds exactly 1 ward/);
  });
});
