// The soak checker: simulator -> server -> fault proxy -> headless monitor, under a seeded
// schedule of faults, then a Jepsen-style comparison of the monitor's SQLite store with the server's
// event log for the same subscription. This file plays the schedules; the processes it supervises are in
// soak/supervisor.ts, the grant revocation in soak/revocation.ts, the verdict in soak/compare-events.ts,
// soak/compare-notifications.ts and soak/phi-in-logs.ts.
//
// One "run" = one server process, one proxy, one headless monitor (restarted as the schedule says),
// 60-second (or shorter) access tokens, and one revocation in the middle. Each "schedule" is one step:
// events (lab bursts, criticals), a stream fault for the next connections, and sometimes a dropped
// connection, a kill -9 of the server (restarted on the same port and database) or a kill -9 of the
// monitor (restarted on the same store). At the end the faults stop, the monitor catches up, and:
//   lost            server events for the subscription missing from the monitor's events table
//   unexpected      monitor events the server never logged
//   duplicated      event numbers accepted (JSONL "event" lines) more than once
//   cursorRegressed samples where the stored cursor went down (sampled after every schedule)
//   unnotified      critical alerts without a notified/summarised mark
//   missed          criticals stored but not notified: server events whose Observation is HH/LL, stored
//                   by the monitor, with no notification line of any kind for their alert ("alert",
//                   "unchecked" = could not be checked, or a summary line listing it in alertIds)
//   doubleNotified  critical alerts with more than one "alert" notification line (a summary line counts
//                   once for every alert it covers; an "unchecked" notice followed by the real one is not
//                   a double)
//   criticalMissed  server events whose Observation is HH/LL but whose alert is not critical
//   phiInLogs       seeded patient names / MRNs found in the server or monitor logs (debug level)
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  startFaultProxy,
  seededRandom,
  STREAM_FAULTS,
  type FaultPlan,
  type FaultProxy,
  type StreamFault,
} from './fault-proxy.ts';
import { freePort } from './free-port.ts';
import {
  acceptedTwice,
  compareEvents,
  cursorRegressions,
  monitorSubscription,
  serverEvents,
  storedEvents,
} from './soak/compare-events.ts';
import { compareNotifications } from './soak/compare-notifications.ts';
import { readJsonl } from './soak/monitor-jsonl.ts';
import { phiInLogs } from './soak/phi-in-logs.ts';
import { revokeMonitorGrant, type Revocation } from './soak/revocation.ts';
import { pendingWork, serverEventCount, storedCursor } from './soak/store-probes.ts';
import {
  crashMonitor,
  crashServer,
  createSupervisor,
  generateMonitorKey,
  restartMonitor,
  serverCommand,
  startMonitorProcess,
  startServerProcess,
  stopAll,
  stopMonitor,
  type SoakPaths,
  type Supervisor,
} from './soak/supervisor.ts';

const CLIENT_ID = 'soak-monitor';

export interface SoakOptions {
  schedules: number;
  seed: number;
  workDir: string;
  /** Access-token lifetime on the server (s). Default 60. */
  tokenTtlSeconds?: number;
  /** Subscription heartbeat (s). Default 2. */
  heartbeatSeconds?: number;
  /** Index of the schedule after which the monitor's grant is revoked. Default: the middle. */
  revokeAt?: number;
  /** Probabilities per schedule. */
  killServerProbability?: number;
  killMonitorProbability?: number;
  /** Upper bound (ms) on the settle wait between schedules. */
  maxStepMs?: number;
  /** Keep running schedules until this many minutes have passed (at least `schedules` of them). */
  minutes?: number;
  /** Probability that a token endpoint answer is cut (the server issued the token; the monitor never hears). */
  tokenFaultProbability?: number;
  /** Catch-up deadline at the end (ms). */
  catchUpMs?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  seed: number;
  schedules: number;
  serverEvents: number;
  storedEvents: number;
  lost: number;
  unexpected: number;
  duplicated: number;
  cursorSamples: number;
  cursorRegressed: number;
  criticals: number;
  notifiedIndividually: number;
  summarised: number;
  unnotified: number;
  doubleNotified: number;
  missed: number;
  uncheckedNotices: number;
  tokenResponsesDropped: number;
  signOuts: number;
  renotifiedAfterCrash: number;
  criticalMissed: number;
  serverKills: number;
  monitorKills: number;
  monitorExits: number;
  drops: number;
  revocation: { revoked: boolean; oldTokenRejected: boolean; revokedFrameSeen: boolean; freshLogin: boolean };
  tokenRenewals: number;
  proxy: ReturnType<FaultProxy['stats']>;
  phiInLogs: string[];
  integrity: string;
  durationMs: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const NO_FAULTS: Partial<FaultPlan> = {
  stream: 'none',
  requestResetProbability: 0,
  requestDelayMs: 0,
  tokenResponseDropProbability: 0,
};

/** A soak run's state between its steps: the seeded draws, the processes, what happened so far. */
interface SoakRun {
  options: SoakOptions;
  started: number;
  log: (line: string) => void;
  random: () => number;
  paths: SoakPaths;
  proxy: FaultProxy;
  processes: Supervisor;
  privateJwk: { kid: string; alg: string };
  cursorSamples: number[];
  problems: string[];
  serverKills: number;
  monitorKills: number;
  drops: number;
  revocation: Revocation & { freshLogin: boolean };
}

const int = (run: SoakRun, lo: number, hi: number) => lo + Math.floor(run.random() * (hi - lo + 1));

// Every stream fault twice as likely as none.
function pickFault(run: SoakRun): StreamFault {
  const weights: Array<[StreamFault, number]> = STREAM_FAULTS.map((f) => [f, f === 'none' ? 1 : 2]);
  let x = run.random() * weights.reduce((a, [, w]) => a + w, 0);
  for (const [f, w] of weights) {
    x -= w;
    if (x < 0) return f;
  }
  return 'none';
}

function soakPaths(dir: string): SoakPaths {
  const monitorDir = join(dir, 'monitor');
  mkdirSync(monitorDir, { recursive: true });
  return {
    serverDb: join(dir, 'server.sqlite'),
    monitorDb: join(monitorDir, 'monitor.sqlite'),
    jsonl: join(dir, 'monitor.jsonl'),
    serverLog: join(dir, 'server.log'),
    monitorLog: join(dir, 'monitor.log'),
    keyPrefix: join(dir, 'key'),
  };
}

function sampleCursor(run: SoakRun): number | null {
  const c = storedCursor(run.paths.monitorDb);
  if (c !== null) run.cursorSamples.push(c);
  return c;
}

/** Revoke the monitor's grant; the running monitor is stopped and a new process signs in afresh. */
async function revokeAndSignInAgain(run: SoakRun, serverPort: number): Promise<void> {
  run.proxy.setPlan(NO_FAULTS);
  const revoked = await revokeMonitorGrant({
    proxy: run.proxy,
    serverPort,
    clientId: CLIENT_ID,
    privateJwk: run.privateJwk,
    jti: () => `soak-${run.options.seed}-${Date.now()}-${int(run, 0, 1e9)}`,
  });
  await stopMonitor(run.processes);
  const before = run.proxy.lastBearerToken();
  restartMonitor(run.processes);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && run.proxy.lastBearerToken() === before) await sleep(100);
  run.revocation = { ...revoked, freshLogin: run.proxy.lastBearerToken() !== before };
  run.log(`revocation: ${JSON.stringify(run.revocation)}`);
}

/** One schedule: a fault plan, lab traffic, perhaps a crash or a dropped stream. */
async function playSchedule(run: SoakRun, index: number): Promise<void> {
  const pKillServer = run.options.killServerProbability ?? 0.04;
  const pKillMonitor = run.options.killMonitorProbability ?? 0.06;
  run.proxy.setPlan({
    stream: pickFault(run),
    requestResetProbability: run.random() < 0.3 ? 0.1 : 0,
    requestDelayMs: run.random() < 0.3 ? int(run, 0, 80) : 0,
    tokenResponseDropProbability: run.options.tokenFaultProbability ?? 0,
  });
  const draws = int(run, 0, 3);
  if (draws > 0) await serverCommand(run.processes, { op: 'burst', draws });
  // The subscription's topic is critical lab results: only criticals become events.
  if (run.random() < 0.6)
    for (let k = int(run, 1, 3); k > 0; k -= 1)
      await serverCommand(run.processes, { op: 'critical', ward: 'ward-a' });
  const roll = run.random();
  if (roll < pKillServer) {
    run.serverKills += 1;
    await crashServer(run.processes, int(run, 0, 300));
  } else if (roll < pKillServer + pKillMonitor) {
    // Kill while the burst just written is being committed/enriched.
    await sleep(int(run, 0, 60));
    run.monitorKills += 1;
    await crashMonitor(run.processes);
  } else if (roll < pKillServer + pKillMonitor + 0.25) {
    // New streams pick up the new fault plan.
    run.drops += 1;
    const n = run.proxy.dropAll(run.random() < 0.5 ? 'cut' : 'reset');
    run.log(`schedule ${index}: dropped ${n} stream(s)`);
  }
}

/** Without faults, until the monitor's cursor reaches the server's count and no work is pending. */
async function catchUp(run: SoakRun): Promise<void> {
  run.proxy.setPlan(NO_FAULTS);
  const { processes } = run;
  if (processes.server === null || processes.server.exitCode !== null) await startServerProcess(processes);
  if (processes.monitor === null) startMonitorProcess(processes);
  const deadline = Date.now() + (run.options.catchUpMs ?? 120_000);
  while (Date.now() < deadline) {
    const server = serverEventCount(run.paths.serverDb, CLIENT_ID);
    const c = sampleCursor(run);
    if (server && c !== null && c >= server.count && pendingWork(run.paths.monitorDb) === 0) {
      // Let the last notifications settle (catch-up summary timer is 400 ms).
      await sleep(800);
      return;
    }
    await sleep(200);
  }
  run.problems.push('monitor did not catch up before the deadline');
  await sleep(800);
}

/** Every schedule (or, for a timed run, schedules until its minutes have passed), then the catch-up. */
async function playSchedules(run: SoakRun, serverPort: number): Promise<number> {
  const { options, started } = run;
  const revokeAt = options.revokeAt ?? Math.floor(options.schedules / 2);
  const maxStepMs = options.maxStepMs ?? 250;
  const until = options.minutes ? started + options.minutes * 60_000 : 0;
  let revoked = false;
  let schedulesRun = 0;
  for (let i = 0; i < options.schedules || Date.now() < until; i += 1) {
    await playSchedule(run, i);
    // Timed runs revoke half-way through their time, others at the middle schedule.
    const revokeNow = until > 0 ? !revoked && Date.now() >= started + (until - started) / 2 : i === revokeAt;
    if (revokeNow) {
      revoked = true;
      await revokeAndSignInAgain(run, serverPort);
    }
    await sleep(int(run, 20, maxStepMs));
    schedulesRun = i + 1;
    const c = sampleCursor(run);
    if ((i + 1) % 50 === 0)
      run.log(
        `schedule ${i + 1}/${options.schedules}${until ? ` (${Math.round((Date.now() - started) / 1000)} s)` : ''}: cursor ${c ?? '-'}, token answers cut ${run.proxy.stats().tokenResponsesDropped}`,
      );
  }
  return schedulesRun;
}

/** The verdict from both stores, the JSONL and the logs, once both processes have stopped. */
function compare(run: SoakRun, schedulesRun: number): SoakResult {
  const { paths, problems, proxy } = run;
  const sdb = new Database(paths.serverDb, { readonly: true });
  const cdb = new Database(paths.monitorDb, { readonly: true });
  try {
    const subscription = monitorSubscription(cdb, problems);
    const server = serverEvents(sdb, subscription.remoteId);
    const stored = storedEvents(cdb, subscription.key);
    const { lost, unexpected } = compareEvents(server, stored, problems);
    const lines = readJsonl(paths.jsonl);
    const maxServer = server.at(-1)?.n ?? 0;
    if (subscription.cursor !== maxServer)
      problems.push(`final cursor ${subscription.cursor} != last server event ${maxServer}`);
    const notifications = compareNotifications(
      cdb,
      subscription.key,
      server,
      new Set(stored.map((e) => e.n)),
      lines,
      problems,
    );
    const integrity = (cdb.prepare('PRAGMA integrity_check').get() as { integrity_check: string })
      .integrity_check;
    const phi = phiInLogs(sdb, [paths.serverLog, paths.monitorLog, paths.jsonl], problems);
    return {
      seed: run.options.seed,
      // Timed runs go on past the requested count: report what ran.
      schedules: schedulesRun,
      serverEvents: server.length,
      storedEvents: stored.length,
      lost,
      unexpected,
      duplicated: acceptedTwice(lines),
      cursorSamples: run.cursorSamples.length,
      cursorRegressed: cursorRegressions(run.cursorSamples),
      ...notifications,
      tokenResponsesDropped: proxy.stats().tokenResponsesDropped,
      signOuts: lines.filter((l) => l.kind === 'session' && l.state === 'signed-out').length,
      serverKills: run.serverKills,
      monitorKills: run.monitorKills,
      monitorExits: run.processes.monitorExits,
      drops: run.drops,
      revocation: run.revocation,
      tokenRenewals: proxy.stats().distinctTokens - 1,
      proxy: proxy.stats(),
      phiInLogs: phi,
      integrity,
      durationMs: Date.now() - run.started,
      problems,
    };
  } finally {
    sdb.close();
    cdb.close();
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const dir = resolve(options.workDir);
  mkdirSync(dir, { recursive: true });
  const paths = soakPaths(dir);
  await generateMonitorKey(paths.keyPrefix, CLIENT_ID);
  const privateJwk = JSON.parse(readFileSync(`${paths.keyPrefix}.private.jwk.json`, 'utf8')) as {
    kid: string;
    alg: string;
  };
  const serverPort = await freePort();
  const proxy = await startFaultProxy({ upstreamPort: serverPort, seed: options.seed });
  const log = options.log ?? (() => undefined);
  const run: SoakRun = {
    options,
    started,
    log,
    random: seededRandom(options.seed * 7919 + 17),
    paths,
    proxy,
    processes: createSupervisor({
      paths,
      clientId: CLIENT_ID,
      serverPort,
      publicOrigin: proxy.origin,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 60,
      heartbeatSeconds: options.heartbeatSeconds ?? 2,
      seed: options.seed,
      log,
    }),
    privateJwk,
    cursorSamples: [],
    problems: [],
    serverKills: 0,
    monitorKills: 0,
    drops: 0,
    revocation: { revoked: false, oldTokenRejected: false, revokedFrameSeen: false, freshLogin: false },
  };
  let schedulesRun: number;
  try {
    await startServerProcess(run.processes);
    startMonitorProcess(run.processes);
    // Let the first sign-in and subscription creation happen without faults.
    const firstDeadline = Date.now() + 90_000;
    while (Date.now() < firstDeadline && serverEventCount(paths.serverDb, CLIENT_ID) === null)
      await sleep(100);
    schedulesRun = await playSchedules(run, serverPort);
    await catchUp(run);
  } finally {
    await stopAll(run.processes);
    await proxy.close();
  }
  return compare(run, schedulesRun);
}
