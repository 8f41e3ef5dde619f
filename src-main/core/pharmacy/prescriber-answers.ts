// The prescriber's answers to a pharmacist's clarification requests (docs/pharmacy.md, "The
// prescriber's answer"). An answer is a Communication whose `inResponseTo` names one of the requests this
// app sent about the order. The requests are known by their identifier (`…order-clarification|<order>`
// for the first question, `<order>#n` for a follow-up), so this works on a server that assigned its own
// ids to them too. R4 has no search parameter on `inResponseTo`: one search of the held orders'
// patients' Communications (`subject`) brings the requests and their answers together.
import type { FhirResource, PrescriberAnswer, ResourceStatus } from '../../shared/api.ts';
import { arr, field, records, referenceDisplay, str } from '../../shared/fhir-json.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import { relativeReference, searchResources } from '../views.ts';
import { CLARIFICATION_IDENTIFIER } from './decisions.ts';

/** An answer's words are shown whole up to this length (a page of text), then cut with "…". */
export const MAX_ANSWER_CHARS = 2000;
/** A sender's name is shown up to this length (a display is free text from another system). */
const MAX_NAME_CHARS = 200;
/** Patients asked about in one search: more held orders than this wait for the next refresh. */
const MAX_PATIENTS = 100;
/** The newest Communications of those patients read (acknowledgments share the search). */
const MAX_COMMUNICATIONS = 1000;

/** The questions sent about one order and the prescriber's answers to them. */
export interface ClarificationThread {
  /** When the first question was sent (the order went on hold); null when no question names a time. */
  firstAsked: string | null;
  /** When the latest question was sent; null when no question names a time. */
  lastAsked: string | null;
  /** Oldest first (answers without a time first of all). */
  answers: PrescriberAnswer[];
}

export interface ThreadsView {
  status: ResourceStatus;
  message: string | null;
  /** By order reference (`MedicationRequest/<id>`); orders with no request on the server are absent. */
  byOrder: Map<string, ClarificationThread>;
}

/** The order a clarification request of this app is about (its identifier without `#n`), else null. */
function requestedOrder(resource: FhirResource): string | null {
  for (const identifier of records(resource['identifier'])) {
    if (str(identifier['system']) !== CLARIFICATION_IDENTIFIER) continue;
    const order = str(identifier['value'])?.replace(/#\d+$/, '') ?? null;
    if (order?.startsWith('MedicationRequest/')) return order;
  }
  return null;
}

/** When a Communication was sent, else when the server stored it; null for neither (or no date). */
function sentAt(resource: FhirResource): string | null {
  const sent = str(resource['sent']) ?? str(field(resource['meta'], 'lastUpdated'));
  return sent && !Number.isNaN(Date.parse(sent)) ? sent : null;
}

function answerText(resource: FhirResource): string {
  const text = records(resource['payload'])
    .map((p) => str(p['contentString']))
    .filter((t): t is string => t !== null && t.trim().length > 0)
    .join('\n');
  if (text.length === 0) return 'An answer without text: see the record on the server.';
  return text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS - 1)}…` : text;
}

const later = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : Date.parse(b) > Date.parse(a) ? b : a;
const earlier = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : Date.parse(b) < Date.parse(a) ? b : a;

const answerTime = (answer: PrescriberAnswer): number => (answer.at ? Date.parse(answer.at) : -Infinity);

/** Each order's requests (by identifier) and the answers in response to them, from one set of records. */
export function clarificationThreads(
  communications: readonly FhirResource[],
): Map<string, ClarificationThread> {
  const orderOfRequest = new Map<string, string>();
  const threads = new Map<string, ClarificationThread>();
  for (const communication of communications) {
    const order = requestedOrder(communication);
    if (!order || !communication.id) continue;
    orderOfRequest.set(`Communication/${communication.id}`, order);
    const thread = threads.get(order) ?? { firstAsked: null, lastAsked: null, answers: [] };
    const sent = sentAt(communication);
    thread.firstAsked = earlier(thread.firstAsked, sent);
    thread.lastAsked = later(thread.lastAsked, sent);
    threads.set(order, thread);
  }
  for (const communication of communications) {
    if (requestedOrder(communication) || !communication.id) continue;
    if (str(communication['status']) === 'entered-in-error') continue;
    const order = arr(communication['inResponseTo'])
      .map((reference) => orderOfRequest.get(relativeReference(reference) ?? ''))
      .find((o): o is string => o !== undefined);
    if (!order) continue;
    threads.get(order)?.answers.push({
      reference: `Communication/${communication.id}`,
      text: answerText(communication),
      at: sentAt(communication),
      by: referenceDisplay(communication['sender'])?.slice(0, MAX_NAME_CHARS) ?? null,
    });
  }
  for (const thread of threads.values()) thread.answers.sort((a, b) => answerTime(a) - answerTime(b));
  return threads;
}

/**
 * The answer to the latest question, or null while it is unanswered: an answer sent before a follow-up
 * question was asked does not answer the follow-up, also one this workstation has recorded and not yet
 * sent (`askedHere`). Without times to compare, the newest answer counts.
 */
export function currentAnswer(
  thread: ClarificationThread | undefined,
  askedHere: string | null = null,
): PrescriberAnswer | null {
  const newest = thread?.answers.at(-1) ?? null;
  const lastAsked = later(thread?.lastAsked ?? null, askedHere);
  if (!newest || !lastAsked || !newest.at) return newest;
  return Date.parse(newest.at) >= Date.parse(lastAsked) ? newest : null;
}

/**
 * How long an answered order was on hold: from the first question to the answer (ms; 0 without the
 * times). The pharmacist's target does not run on hold, so the order's wait leaves this out.
 */
export function heldMs(thread: ClarificationThread | undefined, answer: PrescriberAnswer | null): number {
  if (!answer?.at || !thread?.firstAsked) return 0;
  return Math.max(0, Date.parse(answer.at) - Date.parse(thread.firstAsked));
}

/**
 * The order an answer is about, when `resource` is one: a Communication in response to another, about
 * a MedicationRequest (what the order-clarification-answered topic delivers). Whether it answers this
 * app's question is settled by the worklist's search (`clarificationThreads`).
 */
export function answeredOrderOf(resource: unknown): string | null {
  if (str(field(resource, 'resourceType')) !== 'Communication') return null;
  if (arr(field(resource, 'inResponseTo')).length === 0) return null;
  return (
    arr(field(resource, 'about'))
      .map(relativeReference)
      .find((reference) => reference?.startsWith('MedicationRequest/') === true) ?? null
  );
}

/** A held order's answer to its latest question, and how long the order was on hold for it. */
export interface AnsweredOrder {
  answer: PrescriberAnswer;
  heldMs: number;
}

/** The answer to a held order's latest question with its time on hold; null while unanswered. */
export function answeredOrder(
  thread: ClarificationThread | undefined,
  askedHere: string | null = null,
): AnsweredOrder | null {
  const answer = currentAnswer(thread, askedHere);
  return answer ? { answer, heldMs: heldMs(thread, answer) } : null;
}

/** The clarification threads of these patients' orders, in one search with the pharmacist's token. */
export async function readClarificationThreads(
  access: FhirAccess,
  patients: readonly (string | null)[],
): Promise<ThreadsView> {
  const wanted = [...new Set(patients.filter((p): p is string => p?.startsWith('Patient/') === true))].slice(
    0,
    MAX_PATIENTS,
  );
  if (wanted.length === 0) return { status: 'ok', message: null, byOrder: new Map() };
  const view = await searchResources(access, 'Communication', [
    ['subject', wanted.join(',')],
    ['_sort', '-sent'],
    ['_count', String(MAX_COMMUNICATIONS)],
  ]);
  if (view.status !== 'ok')
    return {
      status: view.status,
      message: "The prescribers' answers could not be read.",
      byOrder: new Map(),
    };
  return { status: 'ok', message: null, byOrder: clarificationThreads(view.resources) };
}
