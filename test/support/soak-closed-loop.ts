// The two-workstation soak of the closed loop across workstations (docs/alerting.md): ONE embedded server,
// two ward workstations of Ward A (a nurse signed in on each) and the charge nurse's own workstation, all
// real monitor services with their own SQLite stores (test/support/workstations.ts). Each seeded
// schedule emits one critical potassium on Ward A and plays one scenario:
//   race      both ward workstations acknowledge at the same moment
//   one       one of them acknowledges; the other learns it by subscription (the propagation figure)
//   escalate  nobody acknowledges: the chain runs to the fail-safe step, then the charge nurse acknowledges
//   decline   the charge nurse declines her step (the fail-safe step comes at once), then acknowledges
//   accept    the charge nurse accepts her step (she acknowledges by accepting)
// and, in the three escalation scenarios, sometimes restarts the second ward workstation mid-chain (on the
// same store, its notifications counted in the same recorder). At the end the server's records and every
// screen's notifications are compared:
//   doubleAcknowledgments  acknowledgment records beyond one per result, plus results whose screens do
//                          not all show the person the server's record names
//   doubleEscalations      escalation step Tasks beyond one per result and step, plus a step told more
//                          than once on one screen
//   notificationsLeft      OS notifications still on screen once every critical was acknowledged,
//                          restarts included (test/support/daemon-model.ts)
// All three must be 0. `ackPropagationMs` is the time from an acknowledgment on one ward screen to the other
// screen's pushed "acknowledged on another workstation" event (the 2 s target; a figure, not a test).
// Untrusted FHIR JSON is read through src-main/shared/fhir-json.ts and the monitor's own readers.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readAcknowledgment, readStep } from '../../src-main/core/alerting/loop-resources.ts';
import { DEMO_CLIENT_ID } from '../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../src-main/server/server.ts';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { bundleResources } from '../../src-main/shared/fhir-json.ts';
import { seededRandom } from './fault-proxy.ts';
import { daemonModel, type DaemonModel } from './daemon-model.ts';
import {
  live,
  startWorkstation,
  wardIdentity,
  type NotificationRecorder,
  type Workstation,
  type WorkstationOptions,
  QUICK_ESCALATION,
} from './workstations.ts';
import { until } from './until.ts';

export const SCENARIOS = ['race', 'one', 'escalate', 'decline', 'accept'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface ClosedLoopSoakOptions {
  schedules: number;
  seed: number;
  workDir: string;
  /** Probability that the second ward workstation is restarted mid-chain. Default 0.3. */
  restartProbability?: number;
  /** Deadline (ms) for one schedule to settle on every screen. Default 60 s. */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface ClosedLoopSoakResult {
  seed: number;
  schedules: number;
  scenarios: Record<Scenario, number>;
  acknowledgments: number;
  doubleAcknowledgments: number;
  /** Of which: results whose screens disagree with the server's record about who acknowledged. */
  disagreements: number;
  escalationTasks: number;
  doubleEscalations: number;
  /** Of which: a step told more than once on one screen. */
  doubleStepNotices: number;
  stepNotices: number;
  /** OS notifications left on a screen after every critical was acknowledged (must be 0). */
  notificationsLeft: number;
  restarts: number;
  ackPropagationMs: { count: number; p50: number | null; p95: number | null; max: number | null };
  problems: string[];
  durationMs: number;
}

/** Steps about a second apart: a schedule's chain runs to its end in a few seconds. */
const SOAK_POLICY = QUICK_ESCALATION;

/** A workstation slot: the running instance (replaced on restart) and how to start it again. */
interface Slot {
  ws: Workstation;
  options: WorkstationOptions;
  user: string;
  /** When each alert's screen first showed "acknowledged on another workstation" (epoch ms). */
  elsewhereAt: Map<string, number>;
}

async function startSlot(options: WorkstationOptions, user: string, slot?: Slot): Promise<Slot> {
  const ws = startWorkstation(options);
  const next: Slot = slot ?? { ws, options, user, elsewhereAt: new Map() };
  next.ws = ws;
  ws.service.onEvent((event) => {
    if (event.type !== 'alert' || event.alert.lifecycle?.acknowledgedElsewhere !== true) return;
    if (!next.elsewhereAt.has(event.alert.id)) next.elsewhereAt.set(event.alert.id, Date.now());
  });
  await ws.signIn(user);
  await live(ws);
  return next;
}

async function serverSearch(server: RunningServer, query: string): Promise<unknown[]> {
  const token = server.auth.issueToken({
    userId: 'nurse-a',
    clientId: DEMO_CLIENT_ID,
    scopes: ['user/*.rs'],
  }).accessToken;
  const response = await fetch(`${server.fhirBase}/${query}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`${query.split('?')[0] ?? query}: ${response.status}`);
  return bundleResources(await response.json());
}

const shows = async (slot: Slot, focus: string): Promise<AlertSummary | null> => slot.ws.alertFor(focus);

/** The alert of `focus` on every screen, once each shows it as critical and its nurse opened it. */
async function alertsOn(slots: readonly Slot[], focus: string): Promise<AlertSummary[]> {
  return Promise.all(
    slots.map(async (slot) => {
      const alert = await until(async () => {
        const shown = await shows(slot, focus);
        return shown?.tier === 'critical' ? shown : null;
      }, `${slot.ws.name}: the critical`);
      // A critical is acknowledged (or its step accepted) only after a look at the result.
      await slot.ws.service.handlers.markSeen({ alertId: alert.id });
      return alert;
    }),
  );
}

/** The charge nurse's step of `focus` once it is addressed to her. */
async function chargeStep(charge: Slot, focus: string): Promise<AlertSummary> {
  return until(async () => {
    const alert = await shows(charge, focus);
    return alert?.escalation?.some((s) => s.step === 2 && s.addressedToYou) ? alert : null;
  }, 'the charge nurse’s step');
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
}

interface Run {
  server: RunningServer;
  ws1: Slot;
  ws2: Slot;
  charge: Slot;
  random: () => number;
  propagation: number[];
  restarts: number;
  foci: string[];
  problems: string[];
  daemons: Record<'ws1' | 'ws2' | 'charge', DaemonModel>;
}

/** Restart the second ward workstation on its own store (its notifications keep counting). */
async function restartWs2(run: Run): Promise<void> {
  await run.ws2.ws.close();
  run.daemons.ws2.hostRestarted();
  run.ws2 = await startSlot(run.ws2.options, run.ws2.user, run.ws2);
  run.restarts += 1;
}

async function playScenario(run: Run, scenario: Scenario, focus: string): Promise<void> {
  const [a1, a2, charge] = await alertsOn([run.ws1, run.ws2, run.charge], focus);
  const restart = scenario !== 'race' && scenario !== 'one' && run.random() < 0.3;
  switch (scenario) {
    case 'race':
      await Promise.all([
        run.ws1.ws.service.handlers.acknowledge({ alertId: a1?.id ?? '' }),
        run.ws2.ws.service.handlers.acknowledge({ alertId: a2?.id ?? '' }),
      ]);
      return;
    case 'one': {
      const [actor, other, alert, otherAlert] =
        run.random() < 0.5 ? [run.ws1, run.ws2, a1, a2] : [run.ws2, run.ws1, a2, a1];
      const at = Date.now();
      await actor.ws.service.handlers.acknowledge({ alertId: alert?.id ?? '' });
      const seen = await until(
        () => other.elsewhereAt.get(otherAlert?.id ?? ''),
        'the other screen’s pushed event',
      );
      run.propagation.push(seen - at);
      return;
    }
    case 'escalate':
      if (restart) {
        await until(async () => ((await shows(run.ws2, focus))?.escalation?.length ?? 0) >= 1, 'step 1');
        await restartWs2(run);
      }
      await until(
        () => run.charge.ws.notifier.raised.some((n) => n.alertId === charge?.id && n.step === 3),
        'the fail-safe step at the charge nurse',
      );
      await run.charge.ws.service.handlers.acknowledge({ alertId: charge?.id ?? '' });
      return;
    case 'decline':
    case 'accept': {
      if (restart) await restartWs2(run);
      const mine = await chargeStep(run.charge, focus);
      await run.charge.ws.service.handlers.answerEscalation({
        alertId: mine.id,
        step: 2,
        answer: scenario,
      });
      if (scenario === 'decline') {
        await until(
          async () => (await shows(run.charge, focus))?.escalation?.some((s) => s.step === 3),
          'the fail-safe step after the decline',
        );
        await run.charge.ws.service.handlers.acknowledge({ alertId: mine.id });
      }
      return;
    }
  }
}

/** Every screen shows the person the server's one acknowledgment record names. */
async function settled(run: Run, focus: string): Promise<boolean> {
  const records = (await serverSearch(run.server, `Communication?about=${focus}`))
    .map(readAcknowledgment)
    .filter((r) => r?.kind === 'acknowledgment');
  const winner = records[0]?.actor;
  if (!winner) return false;
  for (const slot of [run.ws1, run.ws2, run.charge]) {
    const alert = await shows(slot, focus);
    if (alert?.lifecycle?.acknowledgedBy !== winner || alert.state !== 'acknowledged') return false;
  }
  return true;
}

async function countServer(run: Run) {
  let acknowledgments = 0;
  let doubleAcknowledgments = 0;
  let disagreements = 0;
  let escalationTasks = 0;
  let doubleTasks = 0;
  for (const focus of run.foci) {
    const acks = (await serverSearch(run.server, `Communication?about=${focus}`))
      .map(readAcknowledgment)
      .filter((r) => r?.kind === 'acknowledgment');
    acknowledgments += acks.length;
    doubleAcknowledgments += Math.max(0, acks.length - 1);
    if (!(await settled(run, focus))) disagreements += 1;
    const steps = (await serverSearch(run.server, `Task?focus=${focus}`)).map(readStep);
    const numbers = steps.flatMap((s) => (s ? [s.step] : []));
    escalationTasks += numbers.length;
    doubleTasks += numbers.length - new Set(numbers).size;
  }
  return { acknowledgments, doubleAcknowledgments, disagreements, escalationTasks, doubleTasks };
}

/** Escalation steps told on each screen: the total, and those told more than once. */
function countNotices(recorders: readonly NotificationRecorder[]): { total: number; doubles: number } {
  let total = 0;
  let doubles = 0;
  for (const recorder of recorders) {
    const told = new Map<string, number>();
    for (const n of recorder.raised) {
      if (n.kind !== 'escalation' || n.step === undefined) continue;
      const key = `${n.alertId ?? '?'}#${n.step}`;
      told.set(key, (told.get(key) ?? 0) + 1);
      total += 1;
    }
    for (const count of told.values()) doubles += Math.max(0, count - 1);
  }
  return { total, doubles };
}

/**
 * Every schedule ended with its critical acknowledged: once withdrawals have run, no screen may still
 * show a notification. Those left are counted, and named in the problems.
 */
async function notificationsLeft(run: Run): Promise<number> {
  const onScreen = () =>
    Object.entries(run.daemons).flatMap(([name, d]) => d.onScreen().map((n) => ({ name, n })));
  await until(() => onScreen().length === 0 || null, 'every notification withdrawn', 10_000).catch(
    () => null,
  );
  const left = onScreen();
  for (const { name, n } of left)
    run.problems.push(
      `${name}: a ${n.kind ?? 'alert'} notification for ${n.alertId ?? n.alertIds?.join(', ') ?? '?'} left on screen`,
    );
  return left.length;
}

export async function runClosedLoopSoak(options: ClosedLoopSoakOptions): Promise<ClosedLoopSoakResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  mkdirSync(options.workDir, { recursive: true });
  const [one, two] = await Promise.all([
    wardIdentity(options.workDir, 'ward-a-ws1', 'ward-a'),
    wardIdentity(options.workDir, 'ward-a-ws2', 'ward-a'),
  ]);
  const server = await startServer({
    port: 0,
    dbPath: join(options.workDir, 'server.sqlite'),
    simulate: { autoStart: false, seed: options.seed },
    heartbeatSeconds: 5,
    backendClients: [one.registration, two.registration],
  });
  const base = { fhirBase: server.fhirBase, policy: SOAK_POLICY, repeatMinutes: 60 };
  const daemons = { ws1: daemonModel('ws1'), ws2: daemonModel('ws2'), charge: daemonModel('charge') };
  const ward = (name: 'ws1' | 'ws2', clientId: string, key: typeof one.key): WorkstationOptions => ({
    ...base,
    name,
    dataDir: join(options.workDir, name),
    notifier: daemons[name],
    ward: { ward: 'ward-a', clientId, key },
  });
  const chargeOptions = {
    ...base,
    name: 'charge',
    dataDir: join(options.workDir, 'charge'),
    notifier: daemons.charge,
  };
  const scenarios = Object.fromEntries(SCENARIOS.map((s) => [s, 0])) as Record<Scenario, number>;
  const run: Run = {
    server,
    ws1: await startSlot(ward('ws1', 'ward-a-ws1', one.key), 'nurse-a2'),
    ws2: await startSlot(ward('ws2', 'ward-a-ws2', two.key), 'nurse-a3'),
    charge: await startSlot(chargeOptions, 'nurse-a'),
    random: seededRandom(options.seed),
    propagation: [],
    restarts: 0,
    foci: [],
    problems: [],
    daemons,
  };
  try {
    for (let i = 0; i < options.schedules; i += 1) {
      const scenario = SCENARIOS[Math.floor(run.random() * SCENARIOS.length)] ?? 'race';
      scenarios[scenario] += 1;
      const observation = server.simulator?.emitCriticalPotassium('ward-a');
      const focus = `Observation/${observation?.id ?? '?'}`;
      run.foci.push(focus);
      try {
        await playScenario(run, scenario, focus);
        await until(() => settled(run, focus), `schedule ${i} settled`, options.settleMs ?? 60_000);
      } catch (error) {
        run.problems.push(
          `schedule ${i} (${scenario}): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if ((i + 1) % 10 === 0) log(`${i + 1}/${options.schedules} schedules`);
    }
    const left = await notificationsLeft(run);
    const counted = await countServer(run);
    const notices = countNotices([run.ws1.ws.notifier, run.ws2.ws.notifier, run.charge.ws.notifier]);
    const sorted = [...run.propagation].sort((a, b) => a - b);
    return {
      seed: options.seed,
      schedules: options.schedules,
      scenarios,
      acknowledgments: counted.acknowledgments,
      doubleAcknowledgments: counted.doubleAcknowledgments + counted.disagreements,
      disagreements: counted.disagreements,
      escalationTasks: counted.escalationTasks,
      doubleEscalations: counted.doubleTasks + notices.doubles,
      doubleStepNotices: notices.doubles,
      stepNotices: notices.total,
      notificationsLeft: left,
      restarts: run.restarts,
      ackPropagationMs: {
        count: sorted.length,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        max: sorted.at(-1) ?? null,
      },
      problems: run.problems,
      durationMs: Date.now() - started,
    };
  } finally {
    await Promise.all([run.ws1.ws.close(), run.ws2.ws.close(), run.charge.ws.close()]);
    await server.close();
  }
}
