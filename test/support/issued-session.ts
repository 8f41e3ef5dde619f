// A monitor session whose tokens the embedded server's own auth API mints (no sign-in flow): for tests
// of the monitor against a real server. It counts its renewals and how old each replaced token was.
import { DEFAULT_SCOPES } from '../../src-main/core/auth/index.ts';
import { DEMO_CLIENT_ID } from '../../src-main/server/demo-users.ts';
import type { RunningServer } from '../../src-main/server/server.ts';

export function issuedSession(server: RunningServer, userId = 'nurse-a', scopes = DEFAULT_SCOPES.nurse) {
  const issue = () => {
    const token = server.auth.issueToken({ userId, clientId: DEMO_CLIENT_ID, scopes });
    return { ...token, issuedAt: Date.now(), expiresAt: Date.now() + token.expiresIn * 1000 };
  };
  let issued = issue();
  const session = {
    refreshes: 0,
    /** How long each replaced token had been in use when it was replaced (ms). */
    agesAtRefresh: [] as number[],
    fhirBase: server.fhirBase,
    fhirUser: `Practitioner/${userId}`,
    accessToken: async () => issued.accessToken,
    tokenExpiresAt: () => issued.expiresAt,
    refreshNow: async () => {
      session.refreshes += 1;
      session.agesAtRefresh.push(Date.now() - issued.issuedAt);
      issued = issue();
    },
  };
  return session;
}
