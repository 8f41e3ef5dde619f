// The user's step of a Medplum sign-in, done headlessly: Medplum's `GET /oauth2/authorize` hands the
// browser to its web app (not run here), which posts the credentials to `/auth/login` and sends the
// browser back to the client's redirect URI with the code. This does the same with fetch: the
// authorization URL is first checked to be accepted (an unregistered redirect URI gets 400), then the
// login (and, for a user in several projects, the choice of one with `/auth/profile`), then the code
// is handed to the app's own loopback listener, exactly as a browser would.
// Used by the tests against the fake peer and by `npm run interop:medplum` against a real Medplum.

export interface MedplumUser {
  email: string;
  password: string;
  /** For a user with several project memberships: the project (display name) to sign in to. */
  project?: string;
}

export interface HeadlessLoginResult {
  /** What `GET /oauth2/authorize` answered (302 to the web app when the redirect URI is accepted). */
  authorizeStatus: number;
  /** The loopback listener's answer to the redirect (the app's own page). */
  callbackStatus: number;
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok)
    throw new Error(`${new URL(url).pathname} answered ${res.status}: ${JSON.stringify(json).slice(0, 200)}`);
  return json;
}

/** Pick the membership of the named project when the login answered with a list instead of a code. */
async function chooseProfile(origin: string, answer: Record<string, unknown>, project: string | undefined) {
  if (typeof answer['code'] === 'string') return answer['code'];
  const memberships = Array.isArray(answer['memberships'])
    ? (answer['memberships'] as Array<{ id?: string; project?: { display?: string } }>)
    : [];
  const chosen = memberships.find((m) => project === undefined || m.project?.display === project);
  if (!chosen?.id) throw new Error('the login answered with no code and no matching project membership');
  const profile = await postJson(`${origin}/auth/profile`, { login: answer['login'], profile: chosen.id });
  if (typeof profile['code'] !== 'string') throw new Error('/auth/profile answered without a code');
  return profile['code'];
}

/** Complete the user's step for an authorization URL the app produced. */
export async function completeMedplumLogin(
  authorizationUrl: string,
  user: MedplumUser,
): Promise<HeadlessLoginResult> {
  const url = new URL(authorizationUrl);
  const authorize = await fetch(url, { redirect: 'manual' });
  await authorize.body?.cancel();
  if (authorize.status >= 400) {
    throw new Error(
      `the server refused the authorization request (${authorize.status}): is the redirect URI registered?`,
    );
  }
  const p = url.searchParams;
  const answer = await postJson(`${url.origin}/auth/login`, {
    email: user.email,
    password: user.password,
    clientId: p.get('client_id'),
    scope: p.get('scope'),
    nonce: p.get('nonce'),
    codeChallenge: p.get('code_challenge'),
    codeChallengeMethod: p.get('code_challenge_method'),
  });
  const code = await chooseProfile(url.origin, answer, user.project);
  const redirect = new URL(p.get('redirect_uri') ?? '');
  redirect.searchParams.set('code', code);
  redirect.searchParams.set('state', p.get('state') ?? '');
  const callback = await fetch(redirect);
  await callback.body?.cancel();
  return { authorizeStatus: authorize.status, callbackStatus: callback.status };
}
