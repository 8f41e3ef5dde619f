// A pharmacist's decisions written to Medplum through the app's own decision outbox and sender (with the
// lab user's token): a clarification, then a verification with an overridden interaction flag, as
// records found again by identifier.
import { join } from 'node:path';
import { createLogger } from '../../src-main/core/log.ts';
import type { DecisionRecord } from '../../src-main/core/pharmacy/decisions.ts';
import { createDecisionSender } from '../../src-main/core/pharmacy/sender.ts';
import { CLIENT_MIGRATIONS } from '../../src-main/core/store/schema.ts';
import { createVerificationStore } from '../../src-main/core/store/verification-store.ts';
import { migrate, openDatabase } from '../../src-main/lib/sqlite.ts';
import { expectThat } from './checks.ts';
import type { Run } from './nurse.ts';
import { fhirBase } from './target.ts';

/** One decision through the decision outbox and its sender, as the pharmacist's workstation sends it. */
async function sendDecision(run: Run, record: DecisionRecord): Promise<string | null> {
  const db = openDatabase(join(run.dataDir, `decisions-${record.decision}.sqlite`));
  migrate(db, 'client', CLIENT_MIGRATIONS);
  const decisions = createVerificationStore(db);
  const payload = JSON.stringify(record);
  const { row: recorded, created } = decisions.record(
    {
      fhirBase,
      actor: 'interop-lab',
      orderRef: record.order,
      decision: record.decision,
      payload,
      at: Date.now(),
    },
    () => null, // an outbox on its own: no alerts to close
  );
  // The same clarification with a follow-up question, as decideOrder records one.
  if (!created && recorded.payload !== payload) decisions.addFollowUp(recorded.id, payload, Date.now());
  const sender = createDecisionSender({
    decisions,
    accessFor: () => ({
      fhirBase,
      accessToken: async () => run.lab.token,
      onUnauthorized: async () => false,
    }),
    logger: createLogger('interop-decisions', 'error'),
    onChange: () => undefined,
  });
  await sender.pump();
  sender.stop();
  const row = decisions.latest(fhirBase, record.order);
  db.close();
  return row?.state === 'done' ? null : (row?.lastError ?? `left ${row?.state ?? 'unrecorded'}`);
}

export async function checkDecisions(run: Run): Promise<void> {
  await run.report.check(
    "a pharmacist's clarification, a follow-up question, then verification → records by identifier (conditional update), the Task replaced",
    async () => {
      const order = await run.lab.order(run.patients[0]);
      const base: DecisionRecord = {
        order,
        patient: run.patients[0],
        prescriber: null,
        pharmacist: 'Practitioner/interop-lab',
        at: new Date().toISOString(),
        decision: 'clarify',
        reason: 'Dose for INR 3.4?',
        medication: 'warfarin sodium 5 MG Oral Tablet',
        flags: [
          {
            id: `warfarin-nsaid:${order}`,
            kind: 'interaction',
            at: null,
            severity: 'high',
            text: 'Interaction: bleeding risk',
            detail: 'With: ibuprofen',
            source: 'interop',
            implicated: [],
            override: null,
          },
        ],
        followUps: [],
      };
      const asked = await sendDecision(run, base);
      expectThat(asked === null, `clarification not written: ${asked ?? ''}`);
      // A follow-up question while the order waits: the first message again (the same record) and one more.
      const followed = await sendDecision(run, {
        ...base,
        followUps: [{ at: new Date().toISOString(), question: 'And the target INR range?' }],
      });
      expectThat(followed === null, `follow-up not written: ${followed ?? ''}`);
      const verified = await sendDecision(run, {
        ...base,
        decision: 'verify',
        reason: null,
        flags: base.flags.map((f) => ({ ...f, override: 'INR monitored daily' })),
      });
      expectThat(verified === null, `verification not written: ${verified ?? ''}`);
      const tasks = await run.lab.byIdentifier('Task', 'urn:alert-monitor:order-verification', order);
      const issues = await run.lab.byIdentifier(
        'DetectedIssue',
        'urn:alert-monitor:order-check',
        `${order}|warfarin-nsaid:${order}`,
      );
      const asks = await run.lab.byIdentifier(
        'Communication',
        'urn:alert-monitor:order-clarification',
        order,
      );
      expectThat(tasks.length === 1, `${tasks.length} verification Tasks`);
      expectThat(tasks[0]?.['status'] === 'completed', `the Task is ${String(tasks[0]?.['status'])}`);
      expectThat(issues.length === 1, `${issues.length} DetectedIssues`);
      const followUps = await run.lab.byIdentifier(
        'Communication',
        'urn:alert-monitor:order-clarification',
        `${order}#2`,
      );
      expectThat(asks.length === 1, `${asks.length} clarification Communications`);
      expectThat(followUps.length === 1, `${followUps.length} follow-up Communications`);
      return `Task/${String(tasks[0]?.['id'])} completed; DetectedIssue/${String(issues[0]?.['id'])}`;
    },
  );
}
