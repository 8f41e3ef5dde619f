// An escalation step is issued once even when a monitor is killed with SIGKILL mid-step: a Ward A
// workstation in a child process is stopped dead right after its Task write reached the server (the
// answer never processed) and killed; restarted on the same store it writes the step again, and the
// server still holds one Task per step. With three monitors, the charge nurse is told once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FAIL_SAFE_ROLE,
  type EscalationPolicy,
} from '../../../../src-main/core/alerting/escalation-policy.ts';
import { readStep } from '../../../../src-main/core/alerting/loop-resources.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import { at, bundleResources, str } from '../../../../src-main/shared/fhir-json.ts';
import { live, startWorkstation, wardIdentity } from '../../../support/workstations.ts';
import { until } from '../../../support/until.ts';

const CHILD = join(import.meta.dirname, 'escalation-child.ts');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const QUICK: EscalationPolicy = {
  steps: [
    { role: 'nurse', afterMinutes: 0.02 },
    { role: 'charge-nurse', afterMinutes: 0.02 },
    { role: FAIL_SAFE_ROLE, afterMinutes: 0.02 },
  ],
  failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
};

interface Child {
  process: ChildProcess;
  /** Resolves with the status of the Task write it was stopped after. */
  stepPut: Promise<string>;
  ready: Promise<void>;
}

function startChild(
  server: RunningServer,
  options: { dataDir: string; keyFile: string; clientId: string; policy: EscalationPolicy; hang: boolean },
): Child {
  const child = spawn(process.execPath, [CHILD], {
    env: {
      ...process.env,
      NAME: 'child',
      DATA_DIR: options.dataDir,
      FHIR_BASE: server.fhirBase,
      CLIENT_ID: options.clientId,
      KEY_FILE: options.keyFile,
      POLICY: JSON.stringify(options.policy),
      HANG_ON_STEP_PUT: options.hang ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        stdout += d.toString();
        const match = pattern.exec(stdout);
        if (match) {
          child.stdout?.off('data', onData);
          resolve(match[1] ?? match[0]);
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}): ${stderr}`)));
    });
  const ready = line(/^ready$/m).then(() => undefined);
  const stepPut = line(/^step-put (\d+)$/m);
  stepPut.catch(() => undefined);
  ready.catch(() => undefined);
  return { process: child, stepPut, ready };
}

/** A child's line with a generous deadline (a loaded 2-core machine), so a stuck child fails clearly. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function tasksFor(server: RunningServer, focus: string): Promise<Array<Record<string, unknown>>> {
  const token = server.auth.issueToken({
    userId: 'nurse-a',
    clientId: DEMO_CLIENT_ID,
    scopes: ['user/*.rs'],
  }).accessToken;
  const response = await fetch(`${server.fhirBase}/Task?focus=${focus}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return bundleResources(await response.json());
}

const stepOf = (task: unknown) => readStep(task)?.step ?? 0;
const versionOf = (task: unknown) => str(at(task, 'meta', 'versionId'));

/** The step rows a workstation's store holds for a result (read-only: the child may be running). */
function storedSteps(dataDir: string, focus: string): Array<{ step: number; status: string }> {
  const db = new Database(join(dataDir, 'monitor.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[string], { step: number; status: string }>(
        'SELECT step, status FROM escalation_steps WHERE focus = ? ORDER BY step',
      )
      .all(focus);
  } finally {
    db.close();
  }
}

async function serverWith(dir: string, clientIds: string[]) {
  const identities = await Promise.all(clientIds.map((id) => wardIdentity(dir, id, 'ward-a')));
  const server = await startServer({
    port: 0,
    dbPath: join(dir, 'server.sqlite'),
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
    backendClients: identities.map((i) => i.registration),
  });
  cleanups.push(() => server.close());
  return { server, identities };
}

describe('escalation exactly once across a SIGKILL', () => {
  it('killed right after its step Task reached the server: restarted, it writes the step again and the server holds one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'escalation-crash-'));
    const { server, identities } = await serverWith(dir, ['ward-a-ws2']);
    const [two] = identities;
    const childDir = join(dir, 'ws2');
    const options = { dataDir: childDir, keyFile: two?.keyFile ?? '', clientId: 'ward-a-ws2', policy: QUICK };
    const first = startChild(server, { ...options, hang: true });
    await within(first.ready, 'the child ready');
    const observation = server.simulator?.emitCriticalPotassium('ward-a');
    const focus = `Observation/${observation?.id ?? '?'}`;
    // Nobody else can write the step: the child wrote it, and the server created it.
    expect(await within(first.stepPut, 'the child’s step 1 write')).toBe('201');
    await killHard(first.process);
    expect((await tasksFor(server, focus)).map(stepOf)).toEqual([1]);
    // The child may have learned the step from its own subscription before the kill; the earliest
    // state a kill can leave is the intent claimed and nothing recorded. Put the store in that state
    // (the event already committed, so only resuming the claimed step can record it).
    const db = new Database(join(childDir, 'monitor.sqlite'));
    db.prepare(
      "UPDATE escalation_steps SET status = 'issuing', task_ref = NULL, version = NULL, asked_at = NULL WHERE focus = ?",
    ).run(focus);
    db.close();
    expect(storedSteps(childDir, focus)).toEqual([{ step: 1, status: 'issuing' }]);

    const second = startChild(server, { ...options, hang: false });
    await within(second.ready, 'the restarted child ready');
    // It resumes the step it was cut off in (the server answers 412 and it reads the Task held), then
    // goes on with the chain.
    // Three rows, none still being written (a step is claimed locally before its Task is written).
    const complete = () => {
      const steps = storedSteps(childDir, focus);
      return steps.length === 3 && steps.every((s) => s.status !== 'issuing');
    };
    await until(complete, 'the child’s chain complete');
    expect(storedSteps(childDir, focus).map((s) => s.status)).toEqual([
      'requested',
      'requested',
      'fail-safe',
    ]);
    const tasks = await tasksFor(server, focus);
    expect(tasks.map(stepOf).sort()).toEqual([1, 2, 3]);
    const step1 = tasks.find((t) => stepOf(t) === 1);
    expect(versionOf(step1)).toBe('1');
  }, 180_000);

  it('three monitors, one killed with SIGKILL mid-escalation: one Task per step, the charge nurse told once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'escalation-crash-'));
    const { server, identities } = await serverWith(dir, ['ward-a-ws1', 'ward-a-ws2']);
    const [one, two] = identities;
    const childDir = join(dir, 'ws2');
    const options = { dataDir: childDir, keyFile: two?.keyFile ?? '', clientId: 'ward-a-ws2', policy: QUICK };
    const ws1Options = {
      name: 'ws1',
      dataDir: join(dir, 'ws1'),
      fhirBase: server.fhirBase,
      policy: QUICK,
      ward: { ward: 'ward-a', clientId: 'ward-a-ws1', key: one?.key ?? { jwk: {}, kid: '' } },
    };
    const chargeOptions = {
      name: 'charge',
      dataDir: join(dir, 'charge'),
      fhirBase: server.fhirBase,
      policy: QUICK,
    };
    // The other two monitors subscribe, then are shut down: while the child writes step 1 it is the only
    // one running, so it is certainly the one cut off mid-step (they catch up from their cursors).
    const ws1Before = startWorkstation(ws1Options);
    const chargeBefore = startWorkstation(chargeOptions);
    cleanups.push(
      () => ws1Before.close(),
      () => chargeBefore.close(),
    );
    await chargeBefore.signIn('nurse-a');
    await Promise.all([live(ws1Before), live(chargeBefore)]);
    await Promise.all([ws1Before.close(), chargeBefore.close()]);
    const first = startChild(server, { ...options, hang: true });
    await within(first.ready, 'the child ready');

    const observation = server.simulator?.emitCriticalPotassium('ward-a');
    const focus = `Observation/${observation?.id ?? '?'}`;
    // The child's step 1 write reached the server (it created the Task); it is killed before it could
    // do anything with the answer. Then all three run: the child again, and the two others.
    expect(await within(first.stepPut, 'the child’s step 1 write')).toBe('201');
    await killHard(first.process);
    const second = startChild(server, { ...options, hang: false });
    const ws1 = startWorkstation(ws1Options);
    const charge = startWorkstation(chargeOptions);
    cleanups.push(
      () => ws1.close(),
      () => charge.close(),
    );
    await charge.signIn('nurse-a');
    await within(second.ready, 'the restarted child ready');

    const chargeAlert = await until(
      async () => (await charge.alertFor(focus))?.id,
      'the charge nurse’s alert',
    );
    const told = (step: number) =>
      charge.notifier.raised.filter(
        (n) => n.alertId === chargeAlert && n.kind === 'escalation' && n.step === step,
      );
    await until(() => told(3).length > 0, 'the fail-safe step at the charge nurse');
    expect(told(2)).toHaveLength(1);
    await until(
      () => storedSteps(childDir, focus).filter((s) => s.status !== 'issuing').length === 3,
      'the restarted child knows the chain',
    );
    // ws1 (a ward screen, nobody signed in) caught up from its cursor and follows the same chain.
    await until(
      () =>
        ws1.service.store.alerts.sharing.steps(server.fhirBase, focus).filter((s) => s.status !== 'issuing')
          .length === 3,
      'ws1 knows the chain',
    );
    const tasks = await tasksFor(server, focus);
    expect(tasks.map(stepOf).sort()).toEqual([1, 2, 3]);
    for (const task of tasks) expect(versionOf(task)).toBe('1');
  }, 180_000);
});
