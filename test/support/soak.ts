// The soak checker: simulator -> server -> fault proxy -> headless monitor, under a seeded
// schedule of faults, then a Jepsen-style comparison of the monitor's SQLite store with the server's
// event log for the same subscription.
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
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { importJWK, SignJWT } from 'jose';
import {
  startFaultProxy,
  seededRandom,
  STREAM_FAULTS,
  type FaultProxy,
  type StreamFault,
} from './fault-proxy.ts';
import { freePort } from './free-port.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = process.execPath;
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

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const match = buffer.match(pattern);
      if (match) {
        cleanup();
        resolveLine(match[0]);
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`process exited while waiting for ${pattern}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function killHard(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

function stopGently(child: ChildProcess | null, timeoutMs = 5_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      r();
    });
    child.kill('SIGTERM');
  });
}

interface JsonlLine {
  kind: string;
  eventNumber?: number;
  subscriptionId?: string;
  alertId?: string | null;
  notificationKind?: string;
  alertIds?: string[];
  state?: string;
}

function readJsonl(path: string): JsonlLine[] {
  if (!existsSync(path)) return [];
  const out: JsonlLine[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      out.push(JSON.parse(raw) as JsonlLine);
    } catch {
      // a line torn by kill -9 (writeSync of one short line makes this practically impossible)
    }
  }
  return out;
}

function isCriticalObservation(body: string): boolean {
  try {
    const resource = JSON.parse(body) as { interpretation?: { coding?: { code?: string }[] }[] };
    return (resource.interpretation ?? []).some((c) =>
      (c.coding ?? []).some((code) => code.code === 'HH' || code.code === 'LL'),
    );
  } catch {
    return false;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed * 7919 + 17);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const dir = resolve(options.workDir);
  mkdirSync(dir, { recursive: true });
  const serverDb = join(dir, 'server.sqlite');
  const monitorDir = join(dir, 'monitor');
  mkdirSync(monitorDir, { recursive: true });
  const monitorDb = join(monitorDir, 'monitor.sqlite');
  const jsonl = join(dir, 'monitor.jsonl');
  const serverLog = join(dir, 'server.log');
  const monitorLog = join(dir, 'monitor.log');
  const keyPrefix = join(dir, 'key');
  const problems: string[] = [];
  const ttl = options.tokenTtlSeconds ?? 60;
  const heartbeat = options.heartbeatSeconds ?? 2;
  const revokeAt = options.revokeAt ?? Math.floor(options.schedules / 2);
  const pKillServer = options.killServerProbability ?? 0.04;
  const pKillMonitor = options.killMonitorProbability ?? 0.06;
  const maxStepMs = options.maxStepMs ?? 250;

  // Keys: the monitor CLI's own generator.
  await new Promise<void>((r, reject) => {
    const gen = spawn(
      NODE,
      [
        'src-main/core/cli/monitor.ts',
        '--generate-key',
        keyPrefix,
        '--client-id',
        CLIENT_ID,
        '--wards',
        'ward-a',
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    gen.once('exit', (code) => (code === 0 ? r() : reject(new Error(`key generation exited ${code}`))));
  });
  const privateJwk = JSON.parse(readFileSync(`${keyPrefix}.private.jwk.json`, 'utf8')) as {
    kid: string;
    alg: string;
  };

  const serverPort = await freePort();
  const proxy = await startFaultProxy({ upstreamPort: serverPort, seed: options.seed });
  const fhirBase = `${proxy.origin}/fhir`;
  let server: ChildProcess | null = null;
  let monitor: ChildProcess | null = null;
  let serverStarts = 0;
  let serverKills = 0;
  let monitorKills = 0;
  let monitorExits = 0;
  let drops = 0;

  async function startServerProcess(): Promise<void> {
    serverStarts += 1;
    const fd = openSync(serverLog, 'a');
    const child = spawn(
      NODE,
      [
        'test/support/soak-server.ts',
        '--port',
        String(serverPort),
        '--db',
        serverDb,
        '--public-origin',
        proxy.origin,
        '--token-ttl',
        String(ttl),
        '--heartbeat',
        String(heartbeat),
        '--backend-client',
        `${keyPrefix}.registration.json`,
        '--seed',
        String(options.seed * 1000 + serverStarts),
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', fd] },
    );
    closeSync(fd);
    server = child;
    // Deadlines here end a broken run; a loaded machine can take many seconds to start a process.
    await waitForLine(child, /ready \S+/, 90_000);
  }

  async function command(op: object): Promise<void> {
    const child = server;
    if (!child || child.exitCode !== null) return;
    const ack = waitForLine(child, /(ok|error) \S+\n/, 10_000).catch(() => undefined);
    child.stdin?.write(`${JSON.stringify(op)}\n`);
    await ack;
  }

  let monitorWanted = true;
  function startMonitorProcess(): void {
    const fd = openSync(monitorLog, 'a');
    const child = spawn(
      NODE,
      [
        'src-main/core/cli/monitor.ts',
        '--fhir',
        fhirBase,
        '--client-id',
        CLIENT_ID,
        '--key',
        `${keyPrefix}.private.jwk.json`,
        '--db',
        monitorDb,
        '--jsonl',
        jsonl,
        '--heartbeat',
        String(heartbeat),
      ],
      { cwd: ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, LOG_LEVEL: 'debug' } },
    );
    closeSync(fd);
    monitor = child;
    child.once('exit', (code, signal) => {
      if (monitor !== child) return;
      monitor = null;
      if (signal === 'SIGKILL' || !monitorWanted) return;
      // Sign-in failed (server down, reset by the proxy) or the monitor gave up: a supervisor restarts it.
      monitorExits += 1;
      log(`monitor exited (${code ?? signal}); restarting`);
      setTimeout(() => {
        if (monitorWanted && monitor === null) startMonitorProcess();
      }, 300);
    });
  }

  function cursorNow(): number | null {
    if (!existsSync(monitorDb)) return null;
    let db: Database.Database | null = null;
    try {
      db = new Database(monitorDb, { readonly: true, fileMustExist: true });
      const row = db.prepare('SELECT MAX(cursor) AS c FROM subscriptions').get() as { c: number | null };
      return row.c;
    } catch {
      return null;
    } finally {
      db?.close();
    }
  }

  function serverCount(): { subscriptionId: string; count: number } | null {
    let db: Database.Database | null = null;
    try {
      db = new Database(serverDb, { readonly: true, fileMustExist: true });
      const row = db
        .prepare(
          'SELECT subscription_id AS id, event_count AS n FROM subscription_log WHERE owner LIKE ? LIMIT 1',
        )
        .get(`%${CLIENT_ID}%`) as { id: string; n: number } | undefined;
      if (row) return { subscriptionId: row.id, count: row.n };
      const any = db
        .prepare('SELECT subscription_id AS id, event_count AS n FROM subscription_log LIMIT 1')
        .get() as { id: string; n: number } | undefined;
      return any ? { subscriptionId: any.id, count: any.n } : null;
    } catch {
      return null;
    } finally {
      db?.close();
    }
  }

  async function revoke(): Promise<{
    revoked: boolean;
    oldTokenRejected: boolean;
    revokedFrameSeen: boolean;
  }> {
    const token = proxy.lastStreamToken() ?? proxy.lastBearerToken();
    if (!token) return { revoked: false, oldTokenRejected: false, revokedFrameSeen: false };
    const key = await importJWK(privateJwk as Parameters<typeof importJWK>[0], privateJwk.alg);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: privateJwk.alg, kid: privateJwk.kid, typ: 'JWT' })
      .setIssuer(CLIENT_ID)
      .setSubject(CLIENT_ID)
      .setAudience(`${proxy.origin}/auth/token`)
      .setJti(`soak-${options.seed}-${Date.now()}-${int(0, 1e9)}`)
      .setExpirationTime('2m')
      .sign(key);
    const seenBefore = proxy.stats().revokedFramesSeen;
    // Straight to the server (not through the faulty proxy): the revocation itself must not be lost.
    const response = await fetch(`http://127.0.0.1:${serverPort}/auth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && proxy.stats().revokedFramesSeen === seenBefore) await sleep(50);
    const check = await fetch(`http://127.0.0.1:${serverPort}/fhir/Subscription`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return {
      revoked: response.status === 200,
      oldTokenRejected: check.status === 401,
      revokedFrameSeen: proxy.stats().revokedFramesSeen > seenBefore,
    };
  }

  const cursorSamples: number[] = [];
  let schedulesRun = 0;
  let revocation = { revoked: false, oldTokenRejected: false, revokedFrameSeen: false, freshLogin: false };
  const weights: Array<[StreamFault, number]> = STREAM_FAULTS.map((f) => [f, f === 'none' ? 1 : 2]);
  const totalWeight = weights.reduce((a, [, w]) => a + w, 0);
  const pickFault = (): StreamFault => {
    let x = random() * totalWeight;
    for (const [f, w] of weights) {
      x -= w;
      if (x < 0) return f;
    }
    return 'none';
  };

  try {
    await startServerProcess();
    startMonitorProcess();
    // Let the first sign-in and subscription creation happen without faults.
    const firstDeadline = Date.now() + 90_000;
    while (Date.now() < firstDeadline && serverCount() === null) await sleep(100);

    const tokenFaults = options.tokenFaultProbability ?? 0;
    const until = options.minutes ? started + options.minutes * 60_000 : 0;
    let revoked = false;
    for (let i = 0; i < options.schedules || Date.now() < until; i += 1) {
      proxy.setPlan({
        stream: pickFault(),
        requestResetProbability: random() < 0.3 ? 0.1 : 0,
        requestDelayMs: random() < 0.3 ? int(0, 80) : 0,
        tokenResponseDropProbability: tokenFaults,
      });
      const draws = int(0, 3);
      if (draws > 0) await command({ op: 'burst', draws });
      // The subscription's topic is critical lab results: only criticals become events.
      if (random() < 0.6)
        for (let k = int(1, 3); k > 0; k -= 1) await command({ op: 'critical', ward: 'ward-a' });
      const roll = random();
      if (roll < pKillServer) {
        serverKills += 1;
        await killHard(server);
        await sleep(int(0, 300));
        await startServerProcess();
      } else if (roll < pKillServer + pKillMonitor) {
        // Kill while the burst just written is being committed/enriched.
        await sleep(int(0, 60));
        monitorKills += 1;
        const victim = monitor;
        monitor = null;
        await killHard(victim);
        startMonitorProcess();
      } else if (roll < pKillServer + pKillMonitor + 0.25) {
        // New streams pick up the new fault plan.
        drops += 1;
        const n = proxy.dropAll(random() < 0.5 ? 'cut' : 'reset');
        log(`schedule ${i}: dropped ${n} stream(s)`);
      }
      // Timed runs revoke half-way through their time, others at the middle schedule.
      const revokeNow =
        until > 0 ? !revoked && Date.now() >= started + (until - started) / 2 : i === revokeAt;
      if (revokeNow) {
        revoked = true;
        proxy.setPlan({
          stream: 'none',
          requestResetProbability: 0,
          requestDelayMs: 0,
          tokenResponseDropProbability: 0,
        });
        const r = await revoke();
        // After revocation the running monitor is stopped; a new process signs in afresh.
        monitorWanted = false;
        const victim = monitor;
        monitor = null;
        await stopGently(victim);
        monitorWanted = true;
        const before = proxy.lastBearerToken();
        startMonitorProcess();
        const deadline = Date.now() + 90_000;
        while (Date.now() < deadline && proxy.lastBearerToken() === before) await sleep(100);
        revocation = { ...r, freshLogin: proxy.lastBearerToken() !== before };
        log(`revocation: ${JSON.stringify(revocation)}`);
      }
      await sleep(int(20, maxStepMs));
      schedulesRun = i + 1;
      const c = cursorNow();
      if (c !== null) cursorSamples.push(c);
      if ((i + 1) % 50 === 0)
        log(
          `schedule ${i + 1}/${options.schedules}${until ? ` (${Math.round((Date.now() - started) / 1000)} s)` : ''}: cursor ${c ?? '-'}, token answers cut ${proxy.stats().tokenResponsesDropped}`,
        );
    }

    // Catch up without faults.
    proxy.setPlan({
      stream: 'none',
      requestResetProbability: 0,
      requestDelayMs: 0,
      tokenResponseDropProbability: 0,
    });
    if (server === null || (server as ChildProcess).exitCode !== null) await startServerProcess();
    if (monitor === null) startMonitorProcess();
    const deadline = Date.now() + (options.catchUpMs ?? 120_000);
    let caughtUp = false;
    while (Date.now() < deadline) {
      const sc = serverCount();
      const c = cursorNow();
      if (c !== null) cursorSamples.push(c);
      if (sc && c !== null && c >= sc.count && pendingWork(monitorDb) === 0) {
        caughtUp = true;
        break;
      }
      await sleep(200);
    }
    if (!caughtUp) problems.push('monitor did not catch up before the deadline');
    // Let the last notifications settle (catch-up summary timer is 400 ms).
    await sleep(800);
  } finally {
    monitorWanted = false;
    await stopGently(monitor);
    await stopGently(server);
    await proxy.close();
  }

  // ------------------------------------------------------------------------------------------ compare
  const sdb = new Database(serverDb, { readonly: true });
  const cdb = new Database(monitorDb, { readonly: true });
  const sub = cdb.prepare('SELECT key, remote_id AS remoteId, cursor FROM subscriptions').all() as {
    key: string;
    remoteId: string;
    cursor: number;
  }[];
  if (sub.length !== 1) problems.push(`expected one subscription in the monitor store, found ${sub.length}`);
  const { key, remoteId } = sub[0] ?? { key: '', remoteId: '' };
  const serverEvents = sdb
    .prepare(
      `SELECT e.event_number AS n, e.focus_type || '/' || e.focus_id AS focus, v.body AS body
       FROM subscription_event e LEFT JOIN resource_version v
         ON v.type = e.focus_type AND v.id = e.focus_id AND v.version_id = e.focus_version
       WHERE e.subscription_id = ? ORDER BY e.event_number`,
    )
    .all(remoteId) as { n: number; focus: string; body: string | null }[];
  const stored = cdb
    .prepare('SELECT event_number AS n, focus FROM events WHERE subscription_key = ?')
    .all(key) as { n: number; focus: string | null }[];
  const storedSet = new Map(stored.map((e) => [e.n, e.focus]));
  const serverSet = new Set(serverEvents.map((e) => e.n));
  let lost = 0;
  for (const e of serverEvents) {
    if (!storedSet.has(e.n)) lost += 1;
    else if (storedSet.get(e.n) !== e.focus)
      problems.push(`event ${e.n}: focus ${storedSet.get(e.n)} != ${e.focus}`);
  }
  const unexpected = stored.filter((e) => !serverSet.has(e.n)).length;

  const lines = readJsonl(jsonl);
  const accepted = new Map<number, number>();
  for (const l of lines)
    if (l.kind === 'event' && typeof l.eventNumber === 'number')
      accepted.set(l.eventNumber, (accepted.get(l.eventNumber) ?? 0) + 1);
  const duplicated = [...accepted.values()].filter((n) => n > 1).length;

  let cursorRegressed = 0;
  for (let i = 1; i < cursorSamples.length; i += 1)
    if ((cursorSamples[i] ?? 0) < (cursorSamples[i - 1] ?? 0)) cursorRegressed += 1;
  const finalCursor = sub[0]?.cursor ?? 0;
  const maxServer = serverEvents.at(-1)?.n ?? 0;
  if (finalCursor !== maxServer)
    problems.push(`final cursor ${finalCursor} != last server event ${maxServer}`);

  const alerts = cdb
    .prepare(
      'SELECT id, event_number AS n, tier, notify_state AS state, notified_at AS at FROM alerts WHERE subscription_key = ?',
    )
    .all(key) as { id: string; n: number; tier: string; state: string; at: string | null }[];
  const alertByNumber = new Map(alerts.map((a) => [a.n, a]));
  let criticalMissed = 0;
  for (const e of serverEvents) {
    if (e.body && isCriticalObservation(e.body)) {
      const a = alertByNumber.get(e.n);
      if (!a || a.tier !== 'critical') criticalMissed += 1;
    }
  }
  // "alert" lines (lines from before the kind existed count as "alert"), "unchecked" notices, and the
  // alerts each summary line lists.
  const notifyLines = new Map<string, number>();
  const uncheckedLines = new Map<string, number>();
  const summarisedIds = new Set<string>();
  for (const l of lines) {
    if (l.kind !== 'notification') continue;
    for (const id of l.alertIds ?? []) summarisedIds.add(id);
    if (typeof l.alertId !== 'string') continue;
    const into = l.notificationKind === 'unchecked' ? uncheckedLines : notifyLines;
    if (
      l.notificationKind === 'alert' ||
      l.notificationKind === 'unchecked' ||
      l.notificationKind === undefined
    )
      into.set(l.alertId, (into.get(l.alertId) ?? 0) + 1);
  }
  let missed = 0;
  for (const e of serverEvents) {
    if (!e.body || !isCriticalObservation(e.body) || !storedSet.has(e.n)) continue;
    const a = alertByNumber.get(e.n);
    const told =
      a !== undefined &&
      ((notifyLines.get(a.id) ?? 0) > 0 ||
        (uncheckedLines.get(a.id) ?? 0) > 0 ||
        summarisedIds.has(a.id) ||
        a.state === 'summarised');
    if (!told) missed += 1;
  }
  const signOuts = lines.filter((l) => l.kind === 'session' && l.state === 'signed-out').length;
  const interrupted = new Set(
    (
      cdb
        .prepare("SELECT DISTINCT alert_id AS id FROM audit_log WHERE action = 'notify-interrupted'")
        .all() as {
        id: string;
      }[]
    ).map((r) => r.id),
  );
  const criticals = alerts.filter((a) => a.tier === 'critical');
  let unnotified = 0;
  let doubleNotified = 0;
  let renotifiedAfterCrash = 0;
  let summarised = 0;
  let individually = 0;
  for (const a of criticals) {
    const count = notifyLines.get(a.id) ?? 0;
    if (a.state === 'summarised' && a.at) summarised += 1;
    else if (a.state === 'notified' && a.at) individually += 1;
    else unnotified += 1;
    // A summary covers its alerts: an alert both summarised and individually notified is double.
    const deliveries = count + (a.state === 'summarised' ? 1 : 0);
    if (deliveries > 1) {
      // The documented at-least-once window: killed after the notifier ran, before the mark.
      if (interrupted.has(a.id)) renotifiedAfterCrash += 1;
      else doubleNotified += 1;
    }
    if (a.state === 'notified' && count === 0 && (uncheckedLines.get(a.id) ?? 0) === 0)
      problems.push(`alert ${a.id} marked notified without a line`);
  }
  const integrity = (cdb.prepare('PRAGMA integrity_check').get() as { integrity_check: string })
    .integrity_check;

  // PHI in logs: every seeded patient name and MRN, at debug level.
  const patients = sdb.prepare("SELECT body FROM resource_current WHERE type = 'Patient'").all() as {
    body: string;
  }[];
  const needles = new Set<string>();
  for (const { body } of patients) {
    const p = JSON.parse(body) as {
      name?: { family?: string; given?: string[] }[];
      identifier?: { value?: string }[];
    };
    for (const n of p.name ?? []) {
      if (n.family && n.family.length >= 3) needles.add(n.family);
      const full = [...(n.given ?? []), n.family ?? ''].join(' ').trim();
      if (full.includes(' ')) needles.add(full);
    }
    for (const id of p.identifier ?? []) if (id.value) needles.add(id.value);
  }
  const logs = `${existsSync(serverLog) ? readFileSync(serverLog, 'utf8') : ''}\n${
    existsSync(monitorLog) ? readFileSync(monitorLog, 'utf8') : ''
  }\n${existsSync(jsonl) ? readFileSync(jsonl, 'utf8') : ''}`;
  const phiInLogs = [...needles].filter((n) =>
    new RegExp(`\\b${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(logs),
  );
  if (needles.size === 0) problems.push('no seeded patients found to check logs against');
  sdb.close();
  cdb.close();

  return {
    seed: options.seed,
    // Timed runs go on past the requested count: report what ran.
    schedules: schedulesRun,
    serverEvents: serverEvents.length,
    storedEvents: stored.length,
    lost,
    unexpected,
    duplicated,
    cursorSamples: cursorSamples.length,
    cursorRegressed,
    criticals: criticals.length,
    notifiedIndividually: individually,
    summarised,
    unnotified,
    doubleNotified,
    missed,
    uncheckedNotices: [...uncheckedLines.values()].reduce((a, n) => a + n, 0),
    tokenResponsesDropped: proxy.stats().tokenResponsesDropped,
    signOuts,
    renotifiedAfterCrash,
    criticalMissed,
    serverKills,
    monitorKills,
    monitorExits,
    drops,
    revocation,
    tokenRenewals: proxy.stats().distinctTokens - 1,
    proxy: proxy.stats(),
    phiInLogs,
    integrity,
    durationMs: Date.now() - started,
    problems,
  };
}

/** Committed alerts still waiting for their fetch or their notification. */
function pendingWork(monitorDb: string): number {
  let db: Database.Database | null = null;
  try {
    db = new Database(monitorDb, { readonly: true, fileMustExist: true });
    const row = db
      .prepare(
        `SELECT COUNT(*) AS n FROM alerts
         WHERE fetch_status = 'pending' OR fetch_retry_at IS NOT NULL
           OR (tier = 'critical' AND (notify_state IS NULL OR notify_state NOT IN ('notified','summarised')))`,
      )
      .get() as { n: number };
    return row.n;
  } catch {
    return 1;
  } finally {
    db?.close();
  }
}
