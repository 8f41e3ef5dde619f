// What `npm run interop:medplum` registers on the Medplum it is pointed at, through Medplum's own API
// and nothing else: a project with the `websocket-subscriptions` feature, a ClientApplication with the
// exact loopback redirect URI the app will use, a backend client for a ward workstation (its keys at a
// JWKS URL the run serves), Practitioner users for two nurses, a pharmacist, the lab and a Ward B nurse
// whose AccessPolicy limits her to Ward B's tagged patients and results,
// all idempotent (a second run finds and reuses them). Test identities only: never point this at a
// server holding real patients.
import { createHash, randomBytes } from 'node:crypto';

export interface MedplumTarget {
  /** e.g. http://127.0.0.1:8103 (no trailing slash) */
  origin: string;
  adminEmail: string;
  adminPassword: string;
}

export interface Provisioned {
  projectId: string;
  clientId: string;
  nurse: { email: string; password: string };
  /** A second nurse of the same ward, for two workstations acknowledging at the same moment. */
  colleague: { email: string; password: string };
  /** The pharmacist who verifies orders (her role is a PractitionerRole the run records). */
  pharmacist: { email: string; password: string };
  /** The ward workstation's backend client (private_key_jwt, its keys at the run's JWKS URL). */
  wardClientId: string;
  /** A Ward B nurse: an AccessPolicy limits her patients and results to those tagged Ward B. */
  wardBNurse: { email: string; password: string };
  lab: { email: string; password: string };
}

export const PROJECT_NAME = 'Alert Monitor Interop';
const CLIENT_NAME = 'Alert Monitor (interop)';
const WARD_CLIENT_NAME = 'Alert Monitor ward-a workstation (interop)';
const NURSE = {
  email: 'interop-nurse@example.com',
  password: 'interop-nurse-Pass-2026',
  first: 'Interop',
  last: 'Nurse',
};
const COLLEAGUE = {
  email: 'interop-colleague@example.com',
  password: 'interop-colleague-Pass-2026',
  first: 'Interop',
  last: 'Colleague',
};
const PHARMACIST = {
  email: 'interop-pharmacist@example.com',
  password: 'interop-pharmacist-Pass-2026',
  first: 'Interop',
  last: 'Pharmacist',
};
const WARD_B_NURSE = {
  email: 'interop-ward-b-nurse@example.com',
  password: 'interop-ward-b-Pass-2026',
  first: 'Interop',
  last: 'WardB',
};
/** The ward tag on patients and results (`meta.tag`), which the Ward B nurse's AccessPolicy reads. */
export const WARD_TAG_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/ward';
const WARD_B_POLICY = 'Alert Monitor interop: Ward B nurse';
const WARD_A_SCREEN_POLICY = 'Alert Monitor interop: Ward A workstation';
const LAB = {
  email: 'interop-lab@example.com',
  password: 'interop-lab-Pass-2026',
  first: 'Interop',
  last: 'Laboratory',
};

type Json = Record<string, unknown>;

export class MedplumError extends Error {}

async function call(
  url: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: Json }> {
  const { token, headers, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    headers: {
      Accept: 'application/fhir+json, application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(headers as Record<string, string> | undefined),
    },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  } catch {
    return { status: res.status, body: { text: text.slice(0, 200) } };
  }
}

function fail(what: string, answer: { status: number; body: Json }): never {
  throw new MedplumError(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
}

/**
 * A password sign-in as Medplum's own web app does it (PKCE S256): `/auth/login`, for a user in
 * several projects `/auth/profile` with the named one, then `/oauth2/token`. Returns the access token.
 */
export async function passwordToken(
  origin: string,
  user: { email: string; password: string },
  project?: string,
): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const json = { 'Content-Type': 'application/json' };
  const login = await call(`${origin}/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ ...user, scope: 'openid', codeChallenge: challenge, codeChallengeMethod: 'S256' }),
  });
  if (login.status !== 200) fail(`sign-in of ${user.email}`, login);
  let code = login.body['code'];
  if (typeof code !== 'string') {
    const memberships =
      (login.body['memberships'] as Array<{ id: string; project?: { display?: string } }>) ?? [];
    const chosen = memberships.find((m) => project === undefined || m.project?.display === project);
    if (!chosen) fail(`sign-in of ${user.email}: no membership in ${project ?? 'any project'}`, login);
    const profile = await call(`${origin}/auth/profile`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ login: login.body['login'], profile: chosen.id }),
    });
    code = profile.body['code'];
    if (typeof code !== 'string') fail(`choosing the project of ${user.email}`, profile);
  }
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier });
  const token = await call(`${origin}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const access = token.body['access_token'];
  if (token.status !== 200 || typeof access !== 'string') fail(`token for ${user.email}`, token);
  return access;
}

function entries(bundle: Json): Json[] {
  return ((bundle['entry'] as Array<{ resource?: Json }> | undefined) ?? [])
    .map((e) => e.resource)
    .filter((r): r is Json => r !== undefined);
}

/**
 * The resources of `type` named exactly `name` (Medplum's `name` search also matches prefixes), in
 * the search's order; `narrow` adds search parameters (a project compartment).
 */
async function named(
  origin: string,
  token: string,
  type: string,
  name: string,
  narrow = '',
): Promise<Json[]> {
  const found = await call(`${origin}/fhir/R4/${type}?name=${encodeURIComponent(name)}${narrow}`, { token });
  if (found.status !== 200) fail(`searching ${type}`, found);
  return entries(found.body).filter((r) => r['name'] === name);
}

/** The interop project (created on first use), with the websocket-subscriptions feature on. */
async function ensureProject(origin: string, admin: string): Promise<string> {
  const fhir = `${origin}/fhir/R4`;
  let project = (await named(origin, admin, 'Project', PROJECT_NAME))[0];
  if (!project) {
    // Owned by the administrator (an `ownerEmail` would create a user, and Medplum checks a new user's
    // password against an online breach list this machine cannot reach). The administrator then has
    // two memberships, so its sign-in names the project (passwordToken).
    const created = await call(`${fhir}/Project/$init`, {
      method: 'POST',
      token: admin,
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [{ name: 'name', valueString: PROJECT_NAME }],
      }),
    });
    if (created.status !== 201 && created.status !== 200) fail('creating the project', created);
    const returned = created.body['resourceType'] === 'Project' ? created.body : undefined;
    project =
      returned ??
      (((created.body['parameter'] as Json[] | undefined)?.[0]?.['resource'] as Json) || undefined);
    if (!project) fail('creating the project (no Project returned)', created);
  }
  const features = Array.isArray(project['features']) ? (project['features'] as string[]) : [];
  if (!features.includes('websocket-subscriptions')) {
    const updated = await call(`${fhir}/Project/${String(project['id'])}`, {
      method: 'PUT',
      token: admin,
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ ...project, features: [...features, 'websocket-subscriptions'] }),
    });
    if (updated.status !== 200) fail('turning on websocket subscriptions for the project', updated);
  }
  return String(project['id']);
}

/** The ClientApplication with exactly this redirect URI (created, or updated to it). */
async function ensureClient(
  origin: string,
  admin: string,
  projectId: string,
  redirectUri: string,
): Promise<string> {
  const fhir = `${origin}/fhir/R4`;
  // Search results carry no meta.project: the project compartment narrows the search instead. Extra
  // clients an earlier version of this script made are removed.
  const [existing, ...extra] = await named(
    origin,
    admin,
    'ClientApplication',
    CLIENT_NAME,
    `&_compartment=Project/${projectId}`,
  );
  for (const client of extra)
    await call(`${fhir}/ClientApplication/${String(client['id'])}`, { method: 'DELETE', token: admin });
  if (!existing) {
    const created = await call(`${origin}/admin/projects/${projectId}/client`, {
      method: 'POST',
      token: admin,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: CLIENT_NAME, redirectUris: [redirectUri] }),
    });
    if (created.status !== 201) fail('creating the client application', created);
    return String(created.body['id']);
  }
  const uris = existing['redirectUris'];
  if (!(Array.isArray(uris) && uris.length === 1 && uris[0] === redirectUri)) {
    const updated = await call(`${fhir}/ClientApplication/${String(existing['id'])}`, {
      method: 'PUT',
      token: admin,
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ ...existing, redirectUris: [redirectUri] }),
    });
    if (updated.status !== 200) fail('setting the client redirect URI', updated);
  }
  return String(existing['id']);
}

/**
 * The ward workstation's backend client: a ClientApplication whose keys Medplum fetches from `jwksUri`
 * (private_key_jwt). Found by name and pointed at this run's JWKS URL, or created.
 */
async function ensureBackendClient(
  origin: string,
  admin: string,
  projectId: string,
  jwksUri: string,
): Promise<string> {
  const fhir = `${origin}/fhir/R4`;
  let client = (
    await named(origin, admin, 'ClientApplication', WARD_CLIENT_NAME, `&_compartment=Project/${projectId}`)
  )[0];
  if (!client) {
    const created = await call(`${origin}/admin/projects/${projectId}/client`, {
      method: 'POST',
      token: admin,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: WARD_CLIENT_NAME }),
    });
    if (created.status !== 201) fail('creating the ward client application', created);
    client = created.body;
  }
  const updated = await call(`${fhir}/ClientApplication/${String(client['id'])}`, {
    method: 'PUT',
    token: admin,
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({ ...client, jwksUri }),
  });
  if (updated.status !== 200) fail('setting the ward client JWKS URL', updated);
  return String(client['id']);
}

/**
 * An AccessPolicy limited to one ward, in the project (made with the administrator's membership of
 * it): patients, results, reports and encounters only when tagged with the ward, the closed loop's
 * types and the directory in full.
 */
async function ensureWardPolicy(
  origin: string,
  projectAdmin: string,
  name: string,
  wardCode: string,
): Promise<string> {
  const fhir = `${origin}/fhir/R4`;
  const [existing] = await named(origin, projectAdmin, 'AccessPolicy', name);
  if (existing) return `AccessPolicy/${String(existing['id'])}`;
  const ward = (type: string) => ({
    resourceType: type,
    criteria: `${type}?_tag=${WARD_TAG_SYSTEM}|${wardCode}`,
  });
  const created = await call(`${fhir}/AccessPolicy`, {
    method: 'POST',
    token: projectAdmin,
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'AccessPolicy',
      name,
      resource: [
        ward('Patient'),
        ward('Observation'),
        ward('DiagnosticReport'),
        ward('Encounter'),
        ...['Subscription', 'Communication', 'Task', 'Practitioner', 'PractitionerRole', 'Group'].map(
          (resourceType) => ({ resourceType }),
        ),
      ],
    }),
  });
  if (created.status !== 201) fail(`creating the access policy ${name}`, created);
  return `AccessPolicy/${String(created.body['id'])}`;
}

/** Put a client's project membership under `accessPolicy` (Medplum narrows a client by its membership). */
async function limitClient(
  origin: string,
  projectAdmin: string,
  clientId: string,
  accessPolicy: string,
): Promise<void> {
  const fhir = `${origin}/fhir/R4`;
  const found = await call(`${fhir}/ProjectMembership?profile=ClientApplication/${clientId}`, {
    token: projectAdmin,
  });
  const membership = entries(found.body)[0];
  if (found.status !== 200 || !membership) fail('finding the ward client’s membership', found);
  const updated = await call(`${fhir}/ProjectMembership/${String(membership['id'])}`, {
    method: 'PUT',
    token: projectAdmin,
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({ ...membership, accessPolicy: { reference: accessPolicy } }),
  });
  if (updated.status !== 200) fail('limiting the ward client to its ward', updated);
}

/** A Practitioner user of the project (an existing membership is fine), optionally under a policy. */
async function ensureUser(
  origin: string,
  admin: string,
  projectId: string,
  user: { email: string; password: string; first: string; last: string },
  accessPolicy?: string,
): Promise<void> {
  const invited = await call(`${origin}/admin/projects/${projectId}/invite`, {
    method: 'POST',
    token: admin,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      resourceType: 'Practitioner',
      firstName: user.first,
      lastName: user.last,
      email: user.email,
      password: user.password,
      sendEmail: false,
      ...(accessPolicy ? { accessPolicy: { reference: accessPolicy } } : {}),
    }),
  });
  const already = JSON.stringify(invited.body).includes('already a member');
  if (invited.status !== 200 && invited.status !== 201 && !already) fail(`inviting ${user.email}`, invited);
}

/** Register (or find) everything the interop run needs; returns the identities to use. */
export async function provision(
  target: MedplumTarget,
  redirectUri: string,
  wardJwksUri: string,
): Promise<Provisioned> {
  const admin = await passwordToken(
    target.origin,
    { email: target.adminEmail, password: target.adminPassword },
    'Super Admin',
  );
  const projectId = await ensureProject(target.origin, admin);
  const clientId = await ensureClient(target.origin, admin, projectId, redirectUri);
  await ensureUser(target.origin, admin, projectId, NURSE);
  await ensureUser(target.origin, admin, projectId, COLLEAGUE);
  await ensureUser(target.origin, admin, projectId, PHARMACIST);
  await ensureUser(target.origin, admin, projectId, LAB);
  const wardClientId = await ensureBackendClient(target.origin, admin, projectId, wardJwksUri);
  const projectAdmin = await passwordToken(
    target.origin,
    { email: target.adminEmail, password: target.adminPassword },
    PROJECT_NAME,
  );
  const policy = await ensureWardPolicy(target.origin, projectAdmin, WARD_B_POLICY, 'ward-b');
  await ensureUser(target.origin, admin, projectId, WARD_B_NURSE, policy);
  const screenPolicy = await ensureWardPolicy(target.origin, projectAdmin, WARD_A_SCREEN_POLICY, 'ward-a');
  await limitClient(target.origin, projectAdmin, wardClientId, screenPolicy);
  return {
    projectId,
    clientId,
    nurse: { email: NURSE.email, password: NURSE.password },
    colleague: { email: COLLEAGUE.email, password: COLLEAGUE.password },
    pharmacist: { email: PHARMACIST.email, password: PHARMACIST.password },
    wardClientId,
    wardBNurse: { email: WARD_B_NURSE.email, password: WARD_B_NURSE.password },
    lab: { email: LAB.email, password: LAB.password },
  };
}
