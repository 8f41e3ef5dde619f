// A read-back that fails (src-main/core/monitor/read-back-runs.ts, through the monitor's own wiring,
// readBackWork): against the embedded server and a real SQLite store, with a token renewal that fails
// once for a transient reason (its answer dropped), as the network does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthEntry } from '../../../../src-main/core/monitor/health.ts';
import { type ReadBackOutcome } from '../../../../src-main/core/monitor/read-back.ts';
import {
  createReadBackRuns,
  readBackWork,
  runOwedReadBacks,
  stopReadBacks,
  type ReadBackRunDeps,
} from '../../../../src-main/core/monitor/read-back-runs.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { interpretationOnlyRules } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer } from '../../../../src-main/server/server.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a read-back that fails', () => {
  it('commits nothing, says when it tries again, and is done by the next try', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'read-back-runs-'));
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    const written = server.simulator?.emitCriticalPotassium('ward-a');
    const open = `Observation/${written?.id ?? '?'}`;
    const store = openClientStore(join(dir, 'monitor.sqlite'));
    cleanups.push(async () => void store.close());
    const owner = 'Practitioner/nurse-a';
    store.readBacks.owe(
      server.fhirBase,
      CRITICAL_LAB_TOPIC,
      owner,
      new Date(Date.now() - 3_600_000).toISOString(),
      Date.now(),
    );
    const token = server.auth.issueToken({
      userId: 'nurse-a',
      clientId: DEMO_CLIENT_ID,
      scopes: ['user/*.rs'],
    });
    // The first token renewal fails for now (the network dropped its answer); the next one works.
    let renewals = 0;
    const access = {
      fhirBase: server.fhirBase,
      accessToken: async () => {
        renewals += 1;
        if (renewals === 1) throw new Error('token renewal failed: connection reset');
        return token.accessToken;
      },
      onUnauthorized: async () => false,
    };
    const failures: Array<{ why: string; retryInMs: number }> = [];
    const done: ReadBackOutcome[] = [];
    let settled = 0;
    const runs = createReadBackRuns();
    // The monitor's own wiring (readBackWork), with its critical topic's health entry; what it is told
    // is also recorded here.
    const health = createHealthEntry('sub-1', CRITICAL_LAB_TOPIC);
    const work = readBackWork({
      store,
      access,
      fhirBase: server.fhirBase,
      owner,
      topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 10 }],
      rules: () => interpretationOnlyRules().current(),
      runs,
      healthOf: (topic) => (topic === CRITICAL_LAB_TOPIC ? health : null),
      logger: silentLogger(),
      pushHealth: () => undefined,
      settled: () => void (settled += 1),
      committed: (outcome) => void done.push(outcome),
    });
    const deps: ReadBackRunDeps = {
      ...work,
      failed: (readBack, why, retryInMs) => {
        failures.push({ why, retryInMs });
        work.failed(readBack, why, retryInMs);
      },
    };

    runOwedReadBacks(runs, deps);
    await until(() => settled === 1, 'the first run ended');
    expect(failures).toEqual([{ why: 'token renewal failed: connection reset', retryInMs: 15_000 }]);
    expect(runs.timer).not.toBeNull();
    expect(store.readBacks.owed(server.fhirBase, owner)).toHaveLength(1);
    expect(store.alerts.alertForFocus(server.fhirBase, owner, CRITICAL_LAB_TOPIC, open)).toBeNull();
    // Health says so in words, and nothing was read back yet.
    expect(health.entry.lastError).toMatch(
      /^reading back the critical results .* failed \(token renewal failed: connection reset\); trying again in 15 s$/,
    );
    expect(health.entry.readBackFrom ?? null).toBeNull();

    // The retry (what the timer runs when it fires).
    runOwedReadBacks(runs, deps);
    await until(() => settled === 2, 'the second run ended');
    expect(done).toHaveLength(1);
    expect(done[0]?.foci).toEqual([open]);
    expect(store.readBacks.owed(server.fhirBase, owner)).toEqual([]);
    expect(store.alerts.alertForFocus(server.fhirBase, owner, CRITICAL_LAB_TOPIC, open)).not.toBeNull();
    expect(health.entry.lastError).toBeNull();
    expect(health.entry.readBackFrom).toBe(
      store.readBacks.get(server.fhirBase, CRITICAL_LAB_TOPIC, owner)?.fromAt,
    );
    await stopReadBacks(runs);
    expect(runs.timer).toBeNull();
  }, 60_000);
});
