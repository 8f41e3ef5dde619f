// Who is at the screen and what her sign-in started, and what the page is told about it: the session
// (who, where, since when, what arrived while she was away) and the health banner. Signed out, or a
// ward screen with a problem, is said in words: silence must not look like calm.
import type { SessionInfo, UserRole } from '../shared/api.ts';
import { snapshot } from './monitor/health.ts';
import type { Monitor } from './monitor/monitor.ts';
import type { AlertStore } from './store/alert-store.ts';
import type { ServerChoice, ServiceOptions, SignedInSession, WardWorkstation } from './service-types.ts';
import type { Viewer } from './workstation/access-policy.ts';
import type { WardWatch } from './workstation/ward-watch.ts';

/** Signed out on a personal workstation: silence must not look like calm (shown red). */
export const SIGNED_OUT_HEALTH =
  'Nobody is signed in: alerts are not shown on this workstation. Subscriptions stay active on the server; sign in to see what arrived.';

/** The person at the screen and what her sign-in started. */
export interface Presence {
  session: SignedInSession | null;
  viewer: Viewer | null;
  server: ServerChoice | null;
  /** Personal mode: her own monitor. Ward mode: none (the ward watch keeps the subscriptions). */
  monitor: Monitor | null;
  userDisplay: string | null;
  reason: string | null;
  /** Why the session ended by itself (not the user's sign-out): health shows it in red until a sign-in. */
  lostSession: string | null;
  signingIn: boolean;
  authorizationUrl: string | null;
  signedInAt: number | null;
  /** Her role from her identity (PractitionerRole), null when the server does not say. */
  role: UserRole | null;
  closed: boolean;
}

/** Nobody at the screen yet. */
export const absentPresence = (): Presence => ({
  session: null,
  viewer: null,
  server: null,
  monitor: null,
  userDisplay: null,
  reason: null,
  lostSession: null,
  signingIn: false,
  authorizationUrl: null,
  signedInAt: null,
  role: null,
  closed: false,
});

interface Workstation {
  ward: WardWorkstation | null;
  defaultServer: ServiceOptions['defaultServer'];
  alerts: Pick<AlertStore, 'lastSignOut' | 'arrivals'>;
}

/** On a personal workstation: what arrived for her between her last sign-out and this sign-in. */
function catchUpOf(me: Presence, { ward, alerts }: Workstation): SessionInfo['catchUp'] {
  if (ward || !me.viewer || me.signedInAt === null) return null;
  const since = alerts.lastSignOut(me.viewer.owner);
  if (!since) return null;
  const arrived = alerts.arrivals(me.viewer.owner, since, new Date(me.signedInAt).toISOString());
  return arrived.alerts > 0 ? { since, ...arrived } : null;
}

/** The session as the page shows it. */
export function sessionInfoOf(me: Presence, workstation: Workstation): SessionInfo {
  const { ward, defaultServer } = workstation;
  const expiresAt = me.session?.tokenExpiresAt() ?? null;
  return {
    state: me.session ? 'signed-in' : me.signingIn ? 'signing-in' : 'signed-out',
    server:
      me.server && (me.session || me.signingIn)
        ? { fhirBase: me.server.fhirBase, name: me.server.name }
        : null,
    user: me.session ? { fhirUser: me.session.fhirUser, display: me.userDisplay } : null,
    reason: me.reason,
    tokenExpiresAt: expiresAt ? new Date(expiresAt).toISOString() : null,
    needPatientBanner: me.session?.needPatientBanner ?? false,
    authorizationUrl: me.signingIn ? me.authorizationUrl : null,
    workstation: {
      mode: ward ? 'ward' : 'personal',
      ward: ward?.ward ?? null,
      signInTo: defaultServer
        ? { name: defaultServer.name, localDemo: defaultServer.localDemo ?? false }
        : null,
    },
    catchUp: catchUpOf(me, workstation),
    role: me.session ? me.role : null,
  };
}

/** The health banner: the ward watch's on a ward screen, else the signed-in user's monitor's. */
export function healthOf(me: Presence, ward: { ward: string; watch: WardWatch } | null) {
  if (ward) {
    const watched = snapshot(ward.watch.health(), true);
    const problem = ward.watch.problem();
    return problem ? { ...watched, degraded: `Ward ${ward.ward}: ${problem}` } : watched;
  }
  if (!me.session) {
    const signedOut = snapshot([], false, {
      renewal: null,
      tokenExpiresAt: null,
      signedOutReason: me.lostSession,
    });
    return { ...signedOut, degraded: signedOut.degraded ?? SIGNED_OUT_HEALTH };
  }
  return snapshot(me.monitor?.health() ?? [], true, {
    renewal: me.session.renewalStatus?.() ?? null,
    tokenExpiresAt: me.session.tokenExpiresAt(),
    signedOutReason: null,
  });
}
