// Who sees and who may act on which alert (docs/architecture.md, "Workstation modes").
//
// - Personal: an alert belongs to the identity whose grant received it; the signed-in user sees and
//   acts on her own alerts only. Nobody signed in: nobody sees any.
// - Ward: alerts belong to the ward identity. A signed-in clinician sees those her own grant covers,
//   proven by reading the alert's focus with her token (cached per alert for her session); nobody
//   signed in: only the locked view (locked-view.ts), never a name or a value.
// In both, an action is allowed only when the alert belongs to the right owner AND the server lets the
// acting user read its focus right now; otherwise "Not permitted" and nothing changes.
import { ApiRefusedError, type AlertSummary } from '../../shared/api.ts';
import { NOT_RECEIVED_FOR_YOU } from '../alerting/access.ts';
import type { ActionDecision, AlertAccess, AlertingSession, AuditReader } from '../alerting/alerting.ts';
import { readResource } from '../fhir/fhir-client.ts';
import type { AlertStore } from '../store/alert-store.ts';
import { ownerKey } from '../store/owners.ts';

/** A user signed in at this workstation, as the policy sees her. */
export interface Viewer extends AlertingSession {
  /** Her owner key (owners.ts). */
  owner: string;
}

export type WorkstationKind = 'personal' | 'ward';

export interface AccessPolicyOptions {
  alerts: AlertStore;
  kind: WorkstationKind;
  /** The ward identity's owner key (ward mode); null in personal mode. */
  wardOwner: string | null;
  /** The signed-in user, or null. */
  viewer(): Viewer | null;
}

export interface AccessPolicy {
  /** The alert-access rules the closed loop asks before every action (alerting.ts). */
  access: AlertAccess;
  /** The signed-in user's feed page: what she may see, newest first; empty when nobody is signed in. */
  list(limit: number, before?: string): Promise<AlertSummary[]>;
  /** Whether a changed alert may be pushed to the screen now (same rule as `list`). */
  mayShow(alertId: string): Promise<boolean>;
  /** Forget what was proven for the previous user (sign-in, sign-out). */
  reset(): void;
}

export const SIGN_IN_REQUIRED = new ApiRefusedError('sign-in-required', 'Sign in to act on alerts.');

/** The viewer's owner key, from a session's server and fhirUser. */
export function viewerOwner(session: { fhirBase: string; fhirUser: string | null }): string {
  return ownerKey(session.fhirBase, session.fhirUser ?? 'unknown-user');
}

function notPermitted(why: string): ActionDecision {
  return { allowed: false, refusal: new ApiRefusedError('not-permitted', `Not permitted: ${why}`) };
}

/** Verdicts of focus reads for one viewer: true (she may see it), false (refused or gone). */
type Coverage = Map<string, boolean>;

export function createAccessPolicy(options: AccessPolicyOptions): AccessPolicy {
  const { alerts, kind } = options;
  let coverage: Coverage = new Map();
  let coverageFor: string | null = null;

  /** The owner whose alerts the workstation is about now: the ward, or the signed-in user. */
  const watchedOwner = (): string | null =>
    kind === 'ward' ? options.wardOwner : (options.viewer()?.owner ?? null);

  const coverageOf = (viewer: Viewer): Coverage => {
    if (coverageFor !== viewer.owner) {
      coverage = new Map();
      coverageFor = viewer.owner;
    }
    return coverage;
  };

  /** Read the focus with the viewer's token: true when it succeeds, false on a refusal or 404/410. */
  async function serverAllows(viewer: Viewer, alert: AlertSummary): Promise<boolean | 'unknown'> {
    const view = await readResource(viewer.access, alert.focus, []);
    if (view.status === 'ok') return true;
    if (view.status === 'forbidden' || view.status === 'gone') return false;
    return 'unknown'; // network or server trouble: not a verdict, asked again next time
  }

  /** Ward mode: may this clinician see this ward alert? One read per alert per signed-in clinician. */
  async function covered(viewer: Viewer, alert: AlertSummary): Promise<boolean> {
    const known = coverageOf(viewer).get(alert.id);
    if (known !== undefined) return known;
    const verdict = await serverAllows(viewer, alert);
    if (verdict === 'unknown') return false;
    coverageOf(viewer).set(alert.id, verdict);
    return verdict;
  }

  /** The owner the signed-in viewer's alerts must have. */
  const ownerFor = (viewer: Viewer): string | null => (kind === 'ward' ? options.wardOwner : viewer.owner);

  async function mayShow(alertId: string): Promise<boolean> {
    const viewer = options.viewer();
    if (!viewer) return false;
    const owner = ownerFor(viewer);
    if (owner === null || alerts.ownerOf(alertId) !== owner) return false;
    if (kind === 'personal') return true;
    const alert = alerts.get(alertId);
    return alert !== null && (await covered(viewer, alert));
  }

  async function list(limit: number, before?: string): Promise<AlertSummary[]> {
    const viewer = options.viewer();
    if (!viewer) return [];
    const owner = ownerFor(viewer);
    if (owner === null) return [];
    const page = alerts.listFor(owner, limit, before);
    if (kind === 'personal') return page;
    const verdicts = await mapLimited(page, 6, (alert) => covered(viewer, alert));
    return page.filter((_alert, index) => verdicts[index]);
  }

  async function authorize(alert: AlertSummary): Promise<ActionDecision> {
    const viewer = options.viewer();
    if (!viewer) return { allowed: false, refusal: SIGN_IN_REQUIRED };
    const owner = ownerFor(viewer);
    if (owner === null || alerts.ownerOf(alert.id) !== owner)
      return { allowed: false, refusal: NOT_RECEIVED_FOR_YOU };
    // Re-checked against the server at the moment of the action, whatever was proven before.
    const verdict = await serverAllows(viewer, alert);
    if (verdict === 'unknown')
      return notPermitted('the server could not confirm your access to this record; try again.');
    if (!verdict) return notPermitted('the server does not let you see this record.');
    if (kind === 'ward') coverageOf(viewer).set(alert.id, true);
    return { allowed: true, actor: viewer };
  }

  function auditReader(): AuditReader | ApiRefusedError {
    const viewer = options.viewer();
    if (!viewer) return new ApiRefusedError('sign-in-required', 'Sign in to export the audit log.');
    const owner = ownerFor(viewer);
    if (owner === null) return new ApiRefusedError('not-permitted', 'Not permitted: no alerts to export.');
    if (kind === 'personal') return { owner, actor: viewer.fhirUser };
    // A ward's audit, for the alerts this clinician was shown (or acted on) in this session.
    const seen = coverageOf(viewer);
    return { owner, actor: viewer.fhirUser, includes: (alertId) => seen.get(alertId) === true };
  }

  return {
    access: { watchedOwner, authorize, auditReader },
    list,
    mayShow,
    reset() {
      coverage = new Map();
      coverageFor = null;
    },
  };
}

/** `work` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
