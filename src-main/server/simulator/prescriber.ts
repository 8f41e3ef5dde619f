// The ward's attending answers the pharmacist. A question about one of the simulator's orders — a
// Communication to `Practitioner/physician-<ward>` about a MedicationRequest, itself no answer — is
// answered after a delay of simulated time with a Communication in response to it (`inResponseTo`),
// about the same order and patient, to whoever asked, with the question's ward labels. What a
// prescriber does from an EHR's inbox; the demo needs one so that an answered order can be seen
// (docs/pharmacy.md, "The prescriber's answer").
//
// The questions waiting for their answer live in memory; when the demo server starts again on its
// database, the newest questions without an answer are found again and answered after the same delay
// from then. The answer's words are picked by the question's id, not by the simulator's seeded
// sequence, so a seed's census, results and orders stay what they were.
import { createHash } from 'node:crypto';
import { arr, referenceOf } from '../../shared/fhir-json.ts';
import type { FhirResource, StoredResource } from '../base/types.ts';
import type { ChangeHook } from '../store/resources.ts';
import { search } from '../store/search.ts';
import { attendingName } from './orders.ts';
import type { SimWorld } from './world.ts';

const ATTENDING = /^Practitioner\/physician-([a-z0-9]+)$/;
/** The newest messages looked through for questions still to answer when the demo starts again. */
const RESUME_AT_MOST = 1000;

/** Answers a ward's attending gives; none of them is clinical advice. */
const ANSWERS = [
  'Confirmed as written: the indication is documented in today’s progress note. Please verify.',
  'Aware of the flag: the benefit outweighs the risk for this patient. Continue, and monitor the levels daily.',
  'Please hold this order: I will review it on the ward round and prescribe again if still needed.',
] as const;

export interface Prescribers {
  /** Queue the stored questions that have no answer yet (a demo server started again on its database). */
  resume(): void;
  /** Write the answer to every question whose simulated time has come; how many were written. */
  answerDue(simNow: number): number;
}

interface Waiting {
  question: string;
  dueAt: number;
}

/** The `reference` of each Reference in a list (what the store wrote, validated on the way in). */
const references = (value: unknown): string[] =>
  arr(value)
    .map(referenceOf)
    .filter((r): r is string => r !== null);

/** The attending's ward (`a` of `physician-a`) when `resource` is a question to one of them. */
export function questionToAttending(resource: StoredResource | null): string | null {
  if (resource?.resourceType !== 'Communication') return null;
  if (references(resource['inResponseTo']).length > 0) return null;
  if (!references(resource['about']).some((r) => r.startsWith('MedicationRequest/'))) return null;
  for (const recipient of references(resource['recipient'])) {
    const ward = ATTENDING.exec(recipient)?.[1];
    if (ward) return ward;
  }
  return null;
}

/** The answer's id, derived from the question's: written once, whoever asks again. */
const answerId = (question: string): string => `answer-${question}`.slice(0, 64);

function answerTo(question: StoredResource, ward: string, sent: string): FhirResource & { id: string } {
  const pick = createHash('sha256').update(question.id).digest()[0] ?? 0;
  const security = question.meta.security;
  return {
    resourceType: 'Communication',
    id: answerId(question.id),
    status: 'completed',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'instruction' },
        ],
        text: 'Answer to a medication order clarification request',
      },
    ],
    inResponseTo: [{ reference: `Communication/${question.id}` }],
    ...(question['subject'] ? { subject: question['subject'] } : {}),
    about: question['about'],
    sent,
    sender: { reference: `Practitioner/physician-${ward}`, display: attendingName(`ward-${ward}`) },
    ...(question['sender'] ? { recipient: [question['sender']] } : {}),
    payload: [{ contentString: ANSWERS[pick % ANSWERS.length] }],
    ...(security ? { meta: { security } } : {}),
  };
}

/**
 * Watch the store for questions to the wards' attendings; each is answered `answerAfterMs` of simulated
 * time after it was asked (null: never).
 */
export function createPrescribers(
  world: SimWorld,
  options: { answerAfterMs: number | null; simNow: () => number },
): Prescribers {
  const queue: Waiting[] = [];
  const hook: ChangeHook = (change) => {
    // A question created, not one written again (a retried PUT): each is answered once.
    if (options.answerAfterMs === null || change.interaction !== 'create') return undefined;
    if (questionToAttending(change.current) === null) return undefined;
    queue.push({ question: change.id, dueAt: options.simNow() + options.answerAfterMs });
    return undefined;
  };
  world.store.addHook(hook);
  return {
    resume() {
      if (options.answerAfterMs === null) return;
      const dueAt = options.simNow() + options.answerAfterMs;
      const stored = search(world.store.db, {
        type: 'Communication',
        params: [
          ['_sort', '-_lastUpdated'],
          ['_count', String(RESUME_AT_MOST)],
        ],
        labels: null,
      }).resources;
      for (const question of stored.reverse()) {
        const waiting = queue.some((w) => w.question === question.id);
        if (
          questionToAttending(question) &&
          !waiting &&
          !world.store.find('Communication', answerId(question.id))
        )
          queue.push({ question: question.id, dueAt });
      }
    },
    answerDue(simNow) {
      let written = 0;
      while (queue.length > 0 && (queue[0]?.dueAt ?? Infinity) <= simNow) {
        const { question: id } = queue.shift() as Waiting;
        const question = world.store.find('Communication', id);
        const ward = questionToAttending(question);
        if (!question || !ward || world.store.find('Communication', answerId(id))) continue;
        world.store.update(answerTo(question, ward, world.iso()));
        written += 1;
      }
      return written;
    },
  };
}
