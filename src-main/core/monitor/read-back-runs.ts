// The read-backs of one monitor (read-back.ts does one): owed the first time an owner watches a topic
// here, run once the monitor is subscribed, one at a time; a failure commits nothing, is said in the
// topic's health entry and is tried again (15 s doubling to two minutes) until it is done or the
// monitor stops. A stop waits for a run in flight, so nothing is written after it.
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { TopicRequest } from '../ports.ts';
import type { RuleSet } from '../rules/rules-file.ts';
import type { ClientStore } from '../store/client-store.ts';
import type { ReadBack } from '../store/read-backs.ts';
import type { HealthTracker } from './health.ts';
import {
  READ_BACK_TOPICS,
  readBack,
  readBackFrom,
  readBackQuery,
  type ReadBackDeps,
  type ReadBackOutcome,
} from './read-back.ts';
import type { PipelineDeps } from './state.ts';

/** Pauses before a failed read-back is tried again: 15 s doubling to two minutes. */
export function readBackRetryMs(attempts: number): number {
  return Math.min(120_000, 15_000 * 2 ** Math.min(Math.max(attempts - 1, 0), 3));
}

/** The read-backs of one monitor: at most one run at a time; a failed one is retried until the stop. */
export interface ReadBackRuns {
  inFlight: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  attempts: number;
  stopped: boolean;
}

export function createReadBackRuns(): ReadBackRuns {
  return { inFlight: null, timer: null, attempts: 0, stopped: false };
}

export interface ReadBackRunDeps extends ReadBackDeps {
  /** The read-backs still owed. */
  owed(): ReadBack[];
  /** The search for a topic's results (null: it has none, the read-back cannot be done here). */
  queryFor(topic: string): string | null;
  done(readBack: ReadBack, outcome: ReadBackOutcome): void;
  failed(readBack: ReadBack, why: string, retryInMs: number): void;
  /** A run ended (the owner checks whether everything is idle). */
  settled(): void;
}

/** Do every owed read-back, one after another; the first failure schedules another try of all. */
export function runOwedReadBacks(runs: ReadBackRuns, deps: ReadBackRunDeps): void {
  if (runs.stopped || runs.inFlight !== null) return;
  runs.inFlight = (async () => {
    for (const owed of deps.owed()) {
      const query = deps.queryFor(owed.topic);
      if (query === null || runs.stopped) continue;
      try {
        const outcome = await readBack(deps, owed, query);
        if (outcome) deps.done(owed, outcome);
      } catch (error) {
        runs.attempts += 1;
        const retryInMs = readBackRetryMs(runs.attempts);
        deps.failed(owed, error instanceof Error ? error.message : String(error), retryInMs);
        scheduleRetry(runs, deps, retryInMs);
        return;
      }
    }
    runs.attempts = 0;
  })().finally(() => {
    runs.inFlight = null;
    deps.settled();
  });
}

function scheduleRetry(runs: ReadBackRuns, deps: ReadBackRunDeps, ms: number): void {
  if (runs.stopped) return;
  if (runs.timer) clearTimeout(runs.timer);
  runs.timer = setTimeout(() => {
    runs.timer = null;
    runOwedReadBacks(runs, deps);
  }, ms);
  runs.timer.unref();
}

/** Stop: no new run or retry; resolves once a run in flight has ended (nothing is written after). */
export async function stopReadBacks(runs: ReadBackRuns): Promise<void> {
  runs.stopped = true;
  if (runs.timer) clearTimeout(runs.timer);
  runs.timer = null;
  await runs.inFlight;
}

/** How health words a read-back that failed (cleared once one succeeds). */
const READ_BACK_FAILED = 'reading back the critical results written before this workstation watched failed';

/**
 * The first watch of a topic here (no reconciliation mark yet: call before the subscription stores one)
 * owes a read-back of the `hours` before the sign-in.
 */
export function oweReadBackIfFirst(deps: PipelineDeps, topic: string, hours: number): void {
  if (hours <= 0 || !READ_BACK_TOPICS.has(topic)) return;
  const { fhirBase } = deps.session;
  if (deps.store.facts.reconcileMark(fhirBase, topic, deps.owner) !== null) return;
  deps.store.readBacks.owe(fhirBase, topic, deps.owner, readBackFrom(deps.startedAt, hours), Date.now());
}

type HealthOf = (topic: string) => HealthTracker | null;

/** Health says how far back each done read-back looked (the feed's "since when" notice). */
export function showReadBacksDone(
  store: ClientStore,
  fhirBase: string,
  owner: string | null,
  healthOf: HealthOf,
): void {
  for (const topic of READ_BACK_TOPICS) {
    const done = store.readBacks.get(fhirBase, topic, owner);
    const health = healthOf(topic);
    if (done?.doneAt && health) health.entry.readBackFrom = done.fromAt;
  }
}

export interface ReadBackWork {
  store: ClientStore;
  access: FhirAccess;
  fhirBase: string;
  owner: string | null;
  topics: readonly TopicRequest[];
  rules(): RuleSet;
  runs: ReadBackRuns;
  healthOf: HealthOf;
  logger: Logger;
  pushHealth(): void;
  settled(): void;
  /** What a read-back committed: enrich it as catch-up, look up records written meanwhile. */
  committed(outcome: ReadBackOutcome): void;
}

/** A monitor's read-backs over its store, its token and its health entries. */
export function readBackWork(work: ReadBackWork): ReadBackRunDeps {
  const { store, fhirBase, owner, healthOf, logger } = work;
  return {
    access: work.access,
    rules: work.rules,
    commit: (readBack, found, steps) => store.commitReadBack(readBack, found, steps),
    stopped: () => work.runs.stopped,
    owed: () => store.readBacks.owed(fhirBase, owner),
    queryFor: (topic) => {
      const request = work.topics.find((t) => t.topic === topic);
      return request ? readBackQuery(request) : null;
    },
    done: (readBack, outcome) => {
      logger.info(
        { topic: readBack.topic, alerts: outcome.alertIds.length, steps: outcome.steps.length },
        'read back earlier results',
      );
      work.committed(outcome);
      const health = healthOf(readBack.topic);
      if (health) {
        health.entry.readBackFrom = readBack.fromAt;
        if (health.entry.lastError?.startsWith(READ_BACK_FAILED)) health.entry.lastError = null;
      }
      work.pushHealth();
    },
    failed: (readBack, why, retryInMs) => {
      logger.warn({ topic: readBack.topic, err: why }, 'read-back failed; retrying');
      const health = healthOf(readBack.topic);
      if (health)
        health.entry.lastError = `${READ_BACK_FAILED} (${why}); trying again in ${Math.round(retryInMs / 1000)} s`;
      work.pushHealth();
    },
    settled: work.settled,
  };
}
