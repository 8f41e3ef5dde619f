// Read-back: a subscription delivers nothing written before it existed, so a nurse signing in on a
// workstation for the first time would see none of her ward's criticals of the last hours, however
// many are open. The first time an owner watches a server's critical results here, a read-back is owed
// (store/read-backs.ts) back to the configured hours before; once subscribed, the monitor searches the
// topic's results changed since then (the same search a server without topics is subscribed with,
// topics.ts), with the user's own token, and keeps those the active rules classify critical that have
// no acknowledgment or resolution record on the server (the closed loop's records, found by the id or
// the identifier each derives from the result). The escalation steps other workstations already asked
// for those results are read back too: this workstation's chain goes on from where the others are, and
// a step asked of the person signing in here is told to her now, not when this screen's own clock would
// have asked it again. Results and steps are committed in one transaction with the read-back marked
// done, as catch-up: enriched like any alert, summarised rather than announced one by one, pinned until
// acknowledged. A failed search is retried (health says so meanwhile); nothing is committed until the
// whole window has been read. Decided in docs/triage.md, "Since when this workstation watches".
import type { TopicRequest } from '../ports.ts';
import {
  ACKNOWLEDGMENT_IDENTIFIER,
  acknowledgmentId,
  readAcknowledgment,
  readStep,
  RESOLUTION_IDENTIFIER,
  resolutionId,
  STEP_IDENTIFIER,
  stepIdentifier,
  stepTaskId,
  type StepFact,
} from '../alerting/loop-resources.ts';
import { createCapabilityCache } from '../fhir/capabilities.ts';
import { createOnceWay, type CreateOnceWay } from '../fhir/create-once.ts';
import { fhirFetch, readResource, type FhirAccess } from '../fhir/fhir-client.ts';
import { classifyResource } from '../rules/classify.ts';
import type { RuleSet } from '../rules/rules-file.ts';
import type { ReadBack } from '../store/read-backs.ts';
import { bundleResources, type FhirJsonResource } from '../../shared/fhir-json.ts';
import { changeOf, PAGE_SIZE, reconcileSearch, type ChangedResource } from './reconcile.ts';
import { withFilters } from './subscription-plan.ts';
import { CRITICAL_LAB_TOPIC, SEARCH_CRITERIA } from './topics.ts';

/** The topics a first watch reads back: critical results (the rest have a worklist, a board or no urgency). */
export const READ_BACK_TOPICS: ReadonlySet<string> = new Set([CRITICAL_LAB_TOPIC]);

/** Closed-loop records read at once by id (two per result). */
const RECORDS_AT_ONCE = 8;
/** Identifiers searched for in one search (two per result for its acknowledgment and resolution). */
const TOKENS_PER_SEARCH = 100;

/** The search that finds a topic's results (its filters merged in), or null where none expresses it. */
export function readBackQuery(request: TopicRequest): string | null {
  const equivalent = SEARCH_CRITERIA[request.topic];
  return equivalent && 'criteria' in equivalent ? withFilters(equivalent.criteria, request.filters) : null;
}

/** Where a first watch's read-back starts: `hours` before the watch began. */
export function readBackFrom(startedAt: string, hours: number): string {
  return new Date(Date.parse(startedAt) - hours * 3_600_000).toISOString();
}

/**
 * The results changed since `from` that the rules classify critical, as events to commit: page by page
 * by `_lastUpdated` (the newest of a page starts the next, inclusive, so one written in the same
 * millisecond is never skipped), to the end of the window. Only the latest version of a result counts:
 * one corrected to a normal value drops out. Only what is critical is kept, so a ward's day of
 * laboratory results costs the searches, not the memory.
 */
export async function searchCriticalSince(
  access: FhirAccess,
  query: string,
  from: string,
  rules: RuleSet,
): Promise<ChangedResource[]> {
  const latest = new Map<string, ChangedResource | null>();
  let since = from;
  for (;;) {
    const { status, body } = await fhirFetch(access, reconcileSearch(query, since, true));
    if (status !== 200) throw new Error(`the search answered ${status}`);
    const resources = bundleResources(body);
    let newest = since;
    for (const resource of resources) {
      const change = changeOf(resource);
      // A server that ignores `_lastUpdated` must not bring older results in.
      if (!change || !(Date.parse(change.occurredAt) >= Date.parse(from))) continue;
      latest.set(change.focus, classifyResource(resource, rules).tier === 'critical' ? change : null);
      if (Date.parse(change.occurredAt) > Date.parse(newest)) newest = change.occurredAt;
    }
    // A short page is the end; a full page that did not move on cannot be paged by time any further.
    if (resources.length < PAGE_SIZE || newest === since) break;
    since = newest;
  }
  return [...latest.values()].filter((change): change is ChangedResource => change !== null);
}

/**
 * The results among `foci` that another workstation acknowledged or resolved. Where the server takes
 * the ids the client derives, the records are read by id (a search of Communications is more than the
 * least-privilege scopes grant); where it assigns its own (`conditional-create`: Medplum), they are
 * searched by their business identifier, and a grant that may not search them (403) leaves the
 * results open. No record leaves a result open, and so does one this grant may not read: a result is
 * shown, never hidden on a guess. A read that fails for now throws: the read-back is tried again.
 */
export async function closedElsewhere(
  access: FhirAccess,
  foci: readonly string[],
  way: CreateOnceWay,
): Promise<Set<string>> {
  return way === 'conditional-create' ? closedByIdentifier(access, foci) : closedById(access, foci);
}

/**
 * Read each of `references`, a few at a time, in order: what is gone or forbidden is null. A read that
 * fails for now throws, naming `what` was being read.
 */
async function readEach(
  access: FhirAccess,
  references: readonly string[],
  what: string,
): Promise<(FhirJsonResource | null)[]> {
  const found: (FhirJsonResource | null)[] = [];
  for (let start = 0; start < references.length; start += RECORDS_AT_ONCE) {
    const views = await Promise.all(
      references.slice(start, start + RECORDS_AT_ONCE).map((reference) => readResource(access, reference)),
    );
    for (const view of views) {
      if (view.status === 'error' || view.status === 'pending')
        throw new Error(`${what} could not be read (${view.message ?? view.status})`);
      found.push(view.status === 'ok' ? (view.resource ?? null) : null);
    }
  }
  return found;
}

/**
 * The `type` resources with any of the identifier `tokens` (`system|value`), searched a hundred at a
 * time. A grant that may not search them (403) ends the search with what was found; any other answer
 * but 200 throws, naming `what` was searched for.
 */
async function searchByIdentifier(
  access: FhirAccess,
  type: string,
  tokens: readonly string[],
  what: string,
): Promise<FhirJsonResource[]> {
  const found: FhirJsonResource[] = [];
  for (let start = 0; start < tokens.length; start += TOKENS_PER_SEARCH) {
    const batch = tokens.slice(start, start + TOKENS_PER_SEARCH);
    const query = `${type}?identifier=${batch.map(encodeURIComponent).join(',')}&_count=${batch.length}`;
    const { status, body } = await fhirFetch(access, query);
    if (status === 403) return found;
    if (status !== 200) throw new Error(`the search for ${what} answered ${status}`);
    found.push(...bundleResources(body, type));
  }
  return found;
}

async function closedById(access: FhirAccess, foci: readonly string[]): Promise<Set<string>> {
  const references = foci.flatMap((focus) =>
    [acknowledgmentId(focus), resolutionId(focus)].map((id) => `Communication/${id}`),
  );
  const records = await readEach(access, references, 'an acknowledgment record');
  return focusesOf(records.map(readAcknowledgment));
}

async function closedByIdentifier(access: FhirAccess, foci: readonly string[]): Promise<Set<string>> {
  const tokens = foci.flatMap((focus) =>
    [ACKNOWLEDGMENT_IDENTIFIER, RESOLUTION_IDENTIFIER].map((system) => `${system}|${focus}`),
  );
  const records = await searchByIdentifier(access, 'Communication', tokens, 'acknowledgment records');
  return focusesOf(records.map(readAcknowledgment));
}

const focusesOf = (records: readonly ({ focus: string } | null)[]): Set<string> =>
  new Set(records.flatMap((record) => (record ? [record.focus] : [])));

/** No chain is read back further than this many steps (a policy has three or four). */
const MAX_STEPS_READ = 10;

/**
 * The escalation steps already on the server for `foci`: step 1 of each, then step k + 1 of those
 * whose step k is there (a chain is written in order). Read by id where the server takes the ids the
 * client derives, else searched by identifier; none found, or a grant that may not see them (403, a
 * read that is gone or forbidden), leaves this workstation's own clock to ask — the server keeps one
 * Task per step whoever asks. A read that fails for now throws: the read-back is tried again.
 */
export async function stepsUnderWay(
  access: FhirAccess,
  foci: readonly string[],
  way: CreateOnceWay,
): Promise<StepFact[]> {
  const found: StepFact[] = [];
  let asking = [...new Set(foci)];
  for (let step = 1; step <= MAX_STEPS_READ && asking.length > 0; step += 1) {
    const facts =
      way === 'conditional-create'
        ? await stepsByIdentifier(access, asking, step)
        : await stepsById(access, asking, step);
    found.push(...facts);
    const reached = new Set(facts.map((fact) => fact.focus));
    asking = asking.filter((focus) => reached.has(focus));
  }
  return found;
}

/** Whether a Task read back is step `step` of `focus` (a record edited elsewhere could say otherwise). */
const isStep = (fact: StepFact | null, focus: string, step: number): fact is StepFact =>
  fact !== null && fact.focus === focus && fact.step === step;

async function stepsById(access: FhirAccess, foci: readonly string[], step: number): Promise<StepFact[]> {
  const tasks = await readEach(
    access,
    foci.map((focus) => `Task/${stepTaskId(focus, step)}`),
    'an escalation step',
  );
  return tasks.flatMap((task, i) => {
    const fact = task ? readStep(task) : null;
    return isStep(fact, foci[i] ?? '', step) ? [fact] : [];
  });
}

async function stepsByIdentifier(
  access: FhirAccess,
  foci: readonly string[],
  step: number,
): Promise<StepFact[]> {
  const tokens = foci.map((focus) => `${STEP_IDENTIFIER}|${stepIdentifier(focus, step).value}`);
  const tasks = await searchByIdentifier(access, 'Task', tokens, 'escalation steps');
  return tasks.flatMap((task) => {
    const fact = readStep(task);
    return fact !== null && fact.step === step && foci.includes(fact.focus) ? [fact] : [];
  });
}

/** What a read-back committed: the new alerts, and alerts of results a subscription had brought already. */
export interface ReadBackOutcome {
  alertIds: string[];
  recheck: string[];
  foci: string[];
  /** The status of each escalation step under way elsewhere, committed with the alerts. */
  steps: StepFact['status'][];
}

export interface ReadBackDeps {
  access: FhirAccess;
  rules(): RuleSet;
  /** Commit the results and mark the read-back done, in one transaction; null when it was done already. */
  commit(
    readBack: ReadBack,
    found: readonly ChangedResource[],
    steps: readonly StepFact[],
  ): { alertIds: string[]; recheck: string[] } | null;
  /** Whether the monitor stopped (then nothing is committed; the read-back stays owed). */
  stopped(): boolean;
}

/**
 * Search, classify, leave out what was closed elsewhere, commit. Null when the monitor stopped or the
 * read-back was done meanwhile. Throws when the server could not be read (the caller retries).
 */
export async function readBack(
  deps: ReadBackDeps,
  readBack: ReadBack,
  query: string,
): Promise<ReadBackOutcome | null> {
  const critical = await searchCriticalSince(deps.access, query, readBack.fromAt, deps.rules());
  if (critical.length === 0) return finish(deps, readBack, [], []);
  // How the server creates records once says where they are: by the ids derived here, or by identifier.
  const server = await createCapabilityCache().get(deps.access);
  const closed = await closedElsewhere(
    deps.access,
    critical.map((c) => c.focus),
    createOnceWay(server.of('Communication')),
  );
  const open = critical.filter((c) => !closed.has(c.focus));
  const steps = await stepsUnderWay(
    deps.access,
    open.map((c) => c.focus),
    createOnceWay(server.of('Task')),
  );
  return finish(deps, readBack, open, steps);
}

function finish(
  deps: ReadBackDeps,
  readBack: ReadBack,
  open: readonly ChangedResource[],
  steps: readonly StepFact[],
): ReadBackOutcome | null {
  if (deps.stopped()) return null;
  const committed = deps.commit(readBack, open, steps);
  return committed
    ? { ...committed, foci: open.map((c) => c.focus), steps: steps.map((step) => step.status) }
    : null;
}
