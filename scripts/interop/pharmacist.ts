// The pharmacist's own workstation against Medplum (docs/pharmacy.md): a Practitioner user whose
// PractitionerRole in Medplum's directory says pharmacist signs in through the app; the laboratory's
// order-entry side writes a stat amoxicillin for a patient with a recorded penicillin allergy and a
// routine warfarin. She is interrupted once for the stat order; her worklist (a host search on Medplum)
// holds both, stat first; the review flags the allergy from Medplum's AllergyIntolerance and computes
// the creatinine clearance from Medplum's creatinine (µmol/L), weight and patient record; she verifies
// the amoxicillin with an override reason and rejects the warfarin: each decision is a verification
// Task on Medplum (by identifier), and both orders leave her worklist. The stat order's alert closes
// on her second workstation too, from the verification Task Medplum's subscription delivers. A question
// to the prescriber about a third order, answered by a Communication in response to it, brings that
// order back to both her worklists with the answer.
import type { RunningApp } from '../../src-main/app/compose.ts';
import { CARE_ROLE_SYSTEM } from '../../src-main/core/alerting/loop-resources.ts';
import { CLARIFICATION_IDENTIFIER, VERIFICATION_IDENTIFIER } from '../../src-main/core/pharmacy/decisions.ts';
import type { AlertNotification } from '../../src-main/core/ports.ts';
import type { OrderReview, WorklistView } from '../../src-main/shared/api.ts';
import { expectThat, type Report, until, untilAsync } from './checks.ts';
import { everyTopicUp } from './app-waits.ts';
import type { Drug, Lab } from './lab.ts';

const AMOXICILLIN: Drug = { rxnorm: '308182', text: 'amoxicillin 500 MG Oral Capsule', priority: 'stat' };

export interface PharmacistRun {
  report: Report;
  lab: Lab;
  patient: string;
  /** Start a workstation on its own data directory (named `workstation`) with the pharmacist signed in. */
  launch(workstation: string): Promise<RunningApp>;
  notified: readonly AlertNotification[];
  /** The focus of a notified alert (the app's own store), to tell which order it was for. */
  focusOf(app: RunningApp, alertId: string): string | null;
}

const verificationTasks = (lab: Lab, order: string) =>
  lab.byIdentifier('Task', VERIFICATION_IDENTIFIER, order);

const listed = (view: WorklistView) => [...view.items, ...view.awaitingClarification].map((i) => i.order);

/** Her role in Medplum's directory: the pharmacist's profile holds the care role `pharmacist`. */
export async function pharmacistRole(lab: Lab): Promise<string> {
  return lab.careRole(await lab.practitioner('Pharmacist'), CARE_ROLE_SYSTEM, 'pharmacist');
}

export async function checkPharmacist(run: PharmacistRun): Promise<void> {
  const app = await run.launch('pharmacy');
  // Her second workstation (the dispensary's), signed in before the orders are written.
  const other = await run.launch('pharmacy-2');
  try {
    let stat = '';
    let routine = '';
    await run.report.check(
      'the pharmacist signs in with the role Medplum’s directory gives her; a stat order interrupts her once',
      async () => {
        const session = await app.service.handlers.getSession({});
        expectThat(session.role === 'pharmacist', `signed in as ${session.role ?? 'no role'}`);
        await everyTopicUp(app, 'pharmacist');
        await everyTopicUp(other, 'pharmacist');
        await run.lab.penicillinAllergy(run.patient);
        routine = await run.lab.order(run.patient);
        stat = await run.lab.order(run.patient, AMOXICILLIN);
        const forStat = () => run.notified.filter((n) => n.alertId && run.focusOf(app, n.alertId) === stat);
        await until('the stat order’s notification', () => forStat().length > 0, 60_000);
        const note = forStat()[0];
        expectThat(note?.tier === 'high', `notified as ${note?.tier ?? '?'}`);
        const others = run.notified.filter((n) => n.alertId && run.focusOf(app, n.alertId) === routine);
        expectThat(others.length === 0, 'the routine order interrupted her');
        return `"${note?.title ?? ''}"`;
      },
    );
    await run.report.check(
      'her worklist on Medplum holds both orders, stat first; the review flags the penicillin allergy',
      async () => {
        expectThat(stat !== '' && routine !== '', 'no orders (the previous check failed)');
        let view: WorklistView | undefined;
        await untilAsync('both orders in the worklist', async () => {
          view = await app.service.handlers.listWorklist({});
          return [stat, routine].every((o) => listed(view as WorklistView).includes(o));
        });
        expectThat(view?.status === 'ok', `the worklist says ${view?.status ?? '?'}: ${view?.message ?? ''}`);
        const order = listed(view as WorklistView);
        expectThat(order.indexOf(stat) < order.indexOf(routine), 'the routine order is listed first');
        const review: OrderReview = await app.service.handlers.getOrderReview({ order: stat });
        expectThat(review.status === 'ok', `the review says ${review.status}: ${review.message ?? ''}`);
        const allergy = review.flags.find((f) => f.kind === 'allergy');
        expectThat(allergy !== undefined, `flags: ${review.flags.map((f) => f.id).join(', ') || 'none'}`);
        expectThat(review.allergies.length > 0, 'the review lists no allergy');
        return `${order.length} orders listed; flag "${allergy?.text ?? ''}" (${allergy?.detail ?? ''})`;
      },
    );
    await run.report.check(
      'the review computes the creatinine clearance (Cockcroft–Gault) from Medplum’s records and flags the renal dose',
      async () => {
        // A woman of 80 (at today's draw), 50 kg, creatinine 133 µmol/L (1.504 mg/dL):
        // (140 − 80) × 50 / (72 × 1.504) × 0.85 = 23.5 → 24 mL/min, at or below piperacillin/tazobactam's 40
        // (the demo checks file doses the penicillins by that label).
        // Born on 1 January eighty years before this year: 80 on any day of it.
        const birthDate = `${new Date().getUTCFullYear() - 80}-01-01`;
        const recorded = await run.lab.kidneyRecord(run.patient, {
          birthDate,
          gender: 'female',
          creatinineUmolL: 133,
          kg: 50,
        });
        const review = await app.service.handlers.getOrderReview({ order: stat });
        const crcl = review.patient?.crcl;
        expectThat(crcl?.value === 24, `CrCl ${String(crcl?.value ?? 'not computed')} (expected 24 mL/min)`);
        expectThat(crcl?.reference === recorded.creatinine, `computed from ${crcl?.reference ?? 'nothing'}`);
        const renal = review.flags.find((f) => f.kind === 'renal');
        expectThat(
          renal?.detail === 'CrCl 24 mL/min by Cockcroft–Gault (80 y, female, 50 kg, creatinine 133 µmol/L)',
          `renal flag: ${renal ? `${renal.text} — ${renal.detail}` : 'none'}`,
        );
        return `${renal?.text ?? ''} — ${renal?.detail ?? ''}`;
      },
    );
    await run.report.check(
      'she verifies the stat order with an override and rejects the other → Tasks on Medplum, both leave her worklist',
      async () => {
        const review = await app.service.handlers.getOrderReview({ order: stat });
        const verified = await app.service.handlers.decideOrder({
          order: stat,
          decision: 'verify',
          overrides: review.flags.map((f) => ({
            flag: f.id,
            reason: 'Tolerated amoxicillin in 2024; allergist cleared',
          })),
        });
        expectThat(verified.accepted, `verification refused: ${verified.message}`);
        const rejected = await app.service.handlers.decideOrder({
          order: routine,
          decision: 'reject',
          reason: 'Duplicate of the home medication',
          overrides: [],
        });
        expectThat(rejected.accepted, `rejection refused: ${rejected.message}`);
        const statusOf = async (order: string) =>
          String((await verificationTasks(run.lab, order))[0]?.['status']);
        await untilAsync(
          'both decisions on Medplum',
          async () => (await statusOf(stat)) === 'completed' && (await statusOf(routine)) === 'rejected',
          30_000,
        );
        const tasks = [
          ...(await verificationTasks(run.lab, stat)),
          ...(await verificationTasks(run.lab, routine)),
        ];
        expectThat(tasks.length === 2, `${tasks.length} verification Tasks for two orders`);
        const view = await app.service.handlers.listWorklist({});
        expectThat(
          !listed(view).includes(stat) && !listed(view).includes(routine),
          'a decided order is still in her worklist',
        );
        return tasks.map((t) => `Task/${String(t['id'])} ${String(t['status'])}`).join(', ');
      },
    );
    await run.report.check(
      'the verified stat order’s alert is closed on both workstations: at once where she decided, by Medplum’s Task on the other',
      async () => {
        const statAlert = async (on: RunningApp) =>
          (await on.service.handlers.listAlerts({ limit: 1000 })).find((a) => a.focus === stat);
        expectThat((await statAlert(app))?.state === 'resolved', 'still open where she decided');
        let there = await statAlert(other);
        await untilAsync(
          'the stat order’s alert on the other workstation',
          async () => (there = await statAlert(other)) !== undefined,
          30_000,
        );
        await untilAsync(
          'the alert resolved on the other workstation',
          async () => (there = await statAlert(other))?.state === 'resolved',
          30_000,
        );
        expectThat(there?.lifecycle?.resolvedElsewhere === true, 'not resolved from the server’s record');
        return `resolved by ${there?.lifecycle?.resolvedBy ?? '?'} on the other workstation`;
      },
    );
    await run.report.check(
      'she asks the prescriber about an order; the answer Medplum stores in response brings it back to both worklists, and the review shows it',
      async () => {
        const held = await run.lab.order(run.patient);
        const asked = await app.service.handlers.decideOrder({
          order: held,
          decision: 'clarify',
          reason: 'Target INR range?',
          overrides: [],
        });
        expectThat(asked.accepted, `clarification refused: ${asked.message}`);
        let question: string | undefined;
        await untilAsync(
          'the question on Medplum',
          async () => {
            const found = (await run.lab.byIdentifier('Communication', CLARIFICATION_IDENTIFIER, held))[0];
            question = typeof found?.['id'] === 'string' ? `Communication/${found['id']}` : undefined;
            return question !== undefined;
          },
          30_000,
        );
        const waiting = await other.service.handlers.listWorklist({});
        expectThat(
          waiting.awaitingClarification.some((i) => i.order === held),
          'not awaiting clarification on the other workstation',
        );
        const text = 'Target INR 2–3: continue 5 mg daily.';
        const answer = await run.lab.prescriberAnswer(question ?? '', run.patient, held, text);
        for (const station of [app, other]) {
          await untilAsync(
            'the answered order back in the worklist',
            async () =>
              (await station.service.handlers.listWorklist({})).items.some(
                (i) => i.order === held && i.answer?.reference === answer,
              ),
            30_000,
          );
        }
        const review = await other.service.handlers.getOrderReview({ order: held });
        const shown = review.answers[0];
        expectThat(review.answers.length === 1, `${review.answers.length} answers in the review`);
        expectThat(
          shown?.text === text && shown.by === 'Dr Interop Prescriber',
          `answer: ${JSON.stringify(shown)}`,
        );
        return `${answer} in response to ${question ?? '?'}: "${shown?.text ?? ''}" by ${shown?.by ?? '?'}`;
      },
    );
  } finally {
    await app.close();
    await other.close();
  }
}
