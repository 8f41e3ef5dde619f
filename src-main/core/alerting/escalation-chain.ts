// Escalation to people, not screens (docs/alerting.md): while a critical stays unacknowledged, the
// policy's steps are issued in turn as Tasks addressed to a role of the alert's ward (the ward's nurses,
// then the charge nurse, then the fail-safe list). Every workstation that holds the alert runs this; the
// server keeps one Task per step whoever writes it (escalation-steps.ts), and every workstation learns
// each step from the escalation topic (monitor/loop-events.ts). A step is told (an OS notification) on
// the screens it is addressed to: the person whose PractitionerRole was asked, or a ward screen when the
// ward's team (a Group) was asked; the fail-safe step on every screen that holds the alert. Each screen
// tells each step once (claimed in the store, across restarts); more than a handful told in one pass
// (a burst nobody acknowledged) are one notification for the fail-safe steps and one for the requests.
import { ApiRefusedError, type AlertSummary, type EscalationStepView } from '../../shared/api.ts';
import { createCapabilityCache } from '../fhir/capabilities.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { Notifier } from '../ports.ts';
import { OPEN_STATES, stepRecipients, type StepRow } from '../store/alert-rows.ts';
import type { ClientStore } from '../store/client-store.ts';
import { FAIL_SAFE_ROLE, firstStepWaitMs, nextStep, type EscalationPolicy } from './escalation-policy.ts';
import { answerStep, issueStep, toSharedStep, type StepIssuer } from './escalation-steps.ts';
import type { StepFact } from './loop-resources.ts';
import {
  AT_ONCE_ONE_BY_ONE,
  escalationRequestNotification,
  escalationRequestsTogetherNotification,
  failSafeNotification,
  failSafeTogetherNotification,
} from './notification-text.ts';
import { raise } from './raise.ts';

/** Whose screen this is, for "was this step addressed here". */
export interface Screen {
  /** The owner whose alerts this screen speaks for now (the ward's, or the signed-in user's). */
  owner: string | null;
  /** A ward's shared screen: a step addressed to the ward's team (a Group) is told here. */
  wardScreen: boolean;
}

export interface ChainOptions {
  store: ClientStore;
  notifier: Notifier;
  policy: EscalationPolicy;
  /** Re-notification period after the last step. */
  repeatMs: number;
  now(): number;
  logger: Logger;
  /** A session that may write this alert's next step now; null: this workstation cannot (another will). */
  issuerFor(alert: AlertSummary): StepIssuer | null;
  screen(): Screen;
  isPrivate(): boolean;
  /** An alert changed: push it. */
  publish(alertId: string): void;
}

export interface EscalationChain {
  /** Issue every step that is due now; tell the steps addressed here. */
  tick(): Promise<void>;
  /** No further pass; resolves once the pass under way (if any) is over, before the store closes. */
  stop(): Promise<void>;
  /** Tell the steps addressed here that were not told yet (after a sign-in, a step learned, a start). */
  deliverNotices(): Promise<void>;
  /** The signed-in person's PractitionerRoles (read at her sign-in), or null when nobody is signed in. */
  setResponder(practitionerRoles: readonly string[] | null): Promise<void>;
  /** An alert with `addressedToYou` on each step of its chain. */
  decorate(alert: AlertSummary): AlertSummary;
  /** Accept or decline a step addressed to `by`; the step as it stands afterwards. */
  answer(
    alert: AlertSummary,
    step: number,
    answer: 'accept' | 'decline',
    by: { access: FhirAccess; fhirUser: string; display: string | null },
  ): Promise<StepFact>;
}

const isOpen = (state: string) => (OPEN_STATES as readonly string[]).includes(state);
const isFailSafe = (row: StepRow) => row.role === FAIL_SAFE_ROLE || row.status === 'fail-safe';

/** A step claimed for telling on this screen, with this screen's alert about its result. */
interface Notice {
  row: StepRow;
  alert: AlertSummary;
}

export function createEscalationChain(options: ChainOptions): EscalationChain {
  const { store, policy, logger } = options;
  const sharing = store.alerts.sharing;
  // How a Task is created once on each server; forgotten after a failed step, so a server upgraded
  // under a running app is asked again.
  const capabilities = createCapabilityCache();
  let roles = new Set<string>();
  let ticking: Promise<void> | null = null;
  let noticing: Promise<void> | null = null;
  let stopped = false;

  /** Whether a step asked this screen's person, or (on a ward screen) the ward's team. */
  function askedHere(row: StepRow): boolean {
    if (stepRecipients(row).some((r) => roles.has(r))) return true;
    return options.screen().wardScreen && (row.target ?? '').startsWith('Group/');
  }

  /** Whether a step is to be told here now: asked here and unanswered, or the fail-safe step. */
  function addressedHere(row: StepRow): boolean {
    if (row.status === 'fail-safe') return true;
    return row.status === 'requested' && askedHere(row);
  }

  /** This screen's alert about a step's result, if it holds one. */
  function alertHere(row: StepRow): AlertSummary | null {
    const owner = options.screen().owner;
    if (owner === null) return null;
    const id = sharing.alertIds(row.fhir_base, row.focus).find((a) => store.alerts.ownerOf(a) === owner);
    return id ? store.alerts.get(id) : null;
  }

  /** What telling a step did, on the alert's audit: told (with how many others), or why not. */
  function recordTold(row: StepRow, alert: AlertSummary, failed: string | null, others: number, at: number) {
    if (failed !== null) store.alerts.audit(alert.id, 'notify-failed', null, failed, at);
    else {
      const detail = others > 0 ? `step ${row.step}, with ${others} others` : `step ${row.step}`;
      store.alerts.audit(alert.id, 'escalation:notified', null, detail, at);
    }
    sharing.markNoticed(row);
  }

  async function tell(row: StepRow, alert: AlertSummary): Promise<void> {
    const privacy = options.isPrivate();
    const notification = isFailSafe(row)
      ? failSafeNotification(alert, row.step, policy.failSafeContacts, privacy)
      : escalationRequestNotification(alert, row.step, privacy);
    recordTold(row, alert, await raise(options.notifier, notification), 0, options.now());
  }

  /** Many steps of one kind at once: one notification that counts them; each audited and marked. */
  async function tellTogether(notices: readonly Notice[], failSafe: boolean): Promise<void> {
    const ids = notices.map(({ alert }) => alert.id);
    const notification = failSafe
      ? failSafeTogetherNotification(ids, policy.failSafeContacts)
      : escalationRequestsTogetherNotification(ids);
    const failed = await raise(options.notifier, notification);
    const at = options.now();
    for (const { row, alert } of notices) recordTold(row, alert, failed, ids.length - 1, at);
  }

  /** The steps to tell here now, each claimed (a crash before telling gives it again at the next start). */
  function claimNotices(): Notice[] {
    const claimed: Notice[] = [];
    for (const row of sharing.stepsAwaitingNotice()) {
      if (stopped) break;
      const alert = alertHere(row);
      if (!alert) continue;
      // Acknowledged or resolved meanwhile: nothing to tell any more.
      if (!isOpen(alert.state)) {
        if (sharing.claimNotice(row)) sharing.markNoticed(row);
        continue;
      }
      if (addressedHere(row) && sharing.claimNotice(row)) claimed.push({ row, alert });
    }
    return claimed;
  }

  async function deliverOnce(): Promise<void> {
    const claimed = claimNotices();
    // The fail-safe steps first: nobody answered those.
    for (const failSafe of [true, false]) {
      const notices = claimed.filter(({ row }) => isFailSafe(row) === failSafe);
      if (notices.length > AT_ONCE_ONE_BY_ONE) await tellTogether(notices, failSafe);
      else for (const { row, alert } of notices) await tell(row, alert);
    }
  }

  function deliverNotices(): Promise<void> {
    if (stopped) return Promise.resolve();
    noticing ??= deliverOnce().finally(() => (noticing = null));
    return noticing;
  }

  /** One result's next step, if it is due and this workstation can write it. */
  async function advance(alert: AlertSummary, fhirBase: string): Promise<void> {
    const due = nextStep(policy, alert.receivedAt, sharing.steps(fhirBase, alert.focus));
    if (!due || due.dueAt > options.now()) return;
    const issuer = options.issuerFor(alert);
    if (!issuer) return;
    const subject = {
      fhirBase,
      focus: alert.focus,
      patientRef: alert.patient?.reference ?? null,
      headline: alert.headline,
    };
    const fact = await issueStep(
      { store, policy, repeatMs: options.repeatMs, now: options.now, capabilities },
      issuer,
      subject,
      due,
    );
    logger.info({ alertId: alert.id, step: fact.step, status: fact.status }, 'escalation step issued');
    for (const id of sharing.alertIds(fhirBase, alert.focus)) options.publish(id);
  }

  async function issueDue(): Promise<void> {
    const seen = new Set<string>();
    // Nothing is due before the first step's wait after arrival unless a chain is under way.
    const at = options.now();
    const window = { receivedBy: at - firstStepWaitMs(policy), at, orChained: true };
    for (const alert of store.alerts.criticalsMaybeDue(window)) {
      if (stopped) return;
      const fhirBase = sharing.fhirBaseOf(alert.id);
      if (!fhirBase || seen.has(`${fhirBase}|${alert.focus}`) || alert.fetch === 'gone') continue;
      // One attempt per result per tick, by the first of its alerts this workstation can write for.
      if (options.issuerFor(alert) === null) continue;
      seen.add(`${fhirBase}|${alert.focus}`);
      await advance(alert, fhirBase).catch((error: unknown) => {
        capabilities.clear();
        logger.warn({ alertId: alert.id, err: String(error) }, 'escalation step not written; will retry');
      });
    }
  }

  /** One pass at a time; a pass started meanwhile is the one under way. */
  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    ticking ??= issueDue()
      .then(() => deliverNotices())
      .finally(() => (ticking = null));
    return ticking;
  }

  async function stop(): Promise<void> {
    stopped = true;
    await Promise.allSettled([ticking, noticing]);
  }

  function decorate(alert: AlertSummary): AlertSummary {
    if (!alert.escalation || alert.escalation.length === 0) return alert;
    const fhirBase = sharing.fhirBaseOf(alert.id);
    if (!fhirBase) return alert;
    const steps: EscalationStepView[] = alert.escalation.map((view) => {
      const row = sharing.step(fhirBase, alert.focus, view.step);
      return { ...view, addressedToYou: row !== null && row.status === 'requested' && addressedHere(row) };
    });
    return { ...alert, escalation: steps };
  }

  return {
    tick,
    stop,
    deliverNotices,
    async setResponder(practitionerRoles) {
      roles = new Set(practitionerRoles ?? []);
      if (practitionerRoles) await deliverNotices();
    },
    decorate,
    async answer(alert, step, answer, by) {
      const fhirBase = sharing.fhirBaseOf(alert.id);
      const row = fhirBase ? sharing.step(fhirBase, alert.focus, step) : null;
      if (!fhirBase || !row || !row.task_ref)
        throw new ApiRefusedError('not-permitted', 'Not permitted: this result has no such escalation step.');
      if (!askedHere(row))
        throw new ApiRefusedError(
          'not-permitted',
          'Not permitted: this escalation step was not addressed to you.',
        );
      const fact = await answerStep(
        by.access,
        row.task_ref,
        answer,
        { reference: by.fhirUser, display: by.display },
        new Date(options.now()).toISOString(),
      );
      sharing.saveStep(fhirBase, toSharedStep(fact), options.now());
      for (const id of sharing.alertIds(fhirBase, alert.focus)) options.publish(id);
      // A decline asks the next step at once.
      if (fact.status === 'declined') void tick();
      return fact;
    },
  };
}
