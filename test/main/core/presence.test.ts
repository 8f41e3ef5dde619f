// Who is at the screen, as the page is told: nobody signed in is said in red words, never a calm
// banner; a session that ended by itself says why; what arrived while she was away is counted from her
// last sign-out; a ward screen says nothing about its own viewer's catch-up.
import { describe, expect, it } from 'vitest';
import {
  absentPresence,
  healthOf,
  SIGNED_OUT_HEALTH,
  sessionInfoOf,
} from '../../../src-main/core/presence.ts';
import type { SignedInSession } from '../../../src-main/core/service-types.ts';
import type { Viewer } from '../../../src-main/core/workstation/access-policy.ts';

const SERVER = { name: 'Embedded server', fhirBase: 'http://127.0.0.1:9/fhir', clientId: 'c' };
const arrivalsSince = (since: string | null) => ({
  lastSignOut: () => since,
  arrivals: () => ({ alerts: 3, critical: 1 }),
});

describe('presence', () => {
  it('nobody signed in: the banner says so in words; a lost session says why instead', () => {
    const me = absentPresence();
    expect(healthOf(me, null).degraded).toBe(SIGNED_OUT_HEALTH);
    me.lostSession = 'Your session ended: the server refused to renew it.';
    expect(healthOf(me, null).degraded).toMatch(/refused to renew/);
    const info = sessionInfoOf(me, { ward: null, defaultServer: SERVER, alerts: arrivalsSince(null) });
    expect(info).toMatchObject({ state: 'signed-out', user: null, server: null, catchUp: null, role: null });
  });

  it('signed in on a personal workstation: who, until when, and what arrived since her last sign-out', () => {
    const me = absentPresence();
    me.session = {
      fhirUser: 'Practitioner/nurse-a',
      tokenExpiresAt: () => Date.parse('2026-12-02T04:00:00Z'),
    } as SignedInSession; // the two fields the page is told about; no token in a test of what it sees
    me.server = { ...SERVER, role: 'any' };
    me.viewer = { owner: 'o' } as Viewer; // her owner key is all a catch-up count needs
    me.signedInAt = Date.parse('2026-12-02T03:00:00Z');
    me.role = 'nurse';
    const info = sessionInfoOf(me, {
      ward: null,
      defaultServer: SERVER,
      alerts: arrivalsSince('2026-12-02T01:00:00Z'),
    });
    expect(info).toMatchObject({
      state: 'signed-in',
      server: { fhirBase: SERVER.fhirBase, name: SERVER.name },
      tokenExpiresAt: '2026-12-02T04:00:00.000Z',
      catchUp: { since: '2026-12-02T01:00:00Z', alerts: 3, critical: 1 },
      role: 'nurse',
      workstation: { mode: 'personal', ward: null },
    });
  });
});
