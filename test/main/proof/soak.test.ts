// Short soak: >= 50 seeded fault schedules through the real server and headless monitor
// processes, a revocation in the middle, 20-second access tokens; the long one is `npm run soak`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSoak } from '../../support/soak.ts';

const dir = mkdtempSync(join(tmpdir(), 'soak-short-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('short soak: simulator -> server -> fault proxy -> headless monitor', () => {
  it('loses nothing, duplicates nothing and notifies every critical exactly once under faults', async () => {
    const result = await runSoak({
      schedules: 60,
      seed: Number(process.env['SOAK_SEED'] ?? 7),
      workDir: dir,
      tokenTtlSeconds: 20,
      killServerProbability: 0.05,
      killMonitorProbability: 0.08,
      // A token endpoint answer is cut now and then: renewal must retry, never sign out for good.
      tokenFaultProbability: 0.2,
    });
    const summary = JSON.stringify(result);
    expect(result.problems, summary).toEqual([]);
    expect(result.serverEvents, summary).toBeGreaterThan(20);
    expect(result.lost, summary).toBe(0);
    expect(result.unexpected, summary).toBe(0);
    expect(result.duplicated, summary).toBe(0);
    expect(result.cursorRegressed, summary).toBe(0);
    expect(result.unnotified, summary).toBe(0);
    expect(result.doubleNotified, summary).toBe(0);
    expect(result.criticalMissed, summary).toBe(0);
    expect(result.missed, summary).toBe(0);
    expect(result.integrity).toBe('ok');
    expect(result.phiInLogs, summary).toEqual([]);
    expect(result.revocation, summary).toMatchObject({
      revoked: true,
      oldTokenRejected: true,
      freshLogin: true,
    });
    expect(result.serverKills + result.monitorKills, summary).toBeGreaterThan(0);
  }, 300_000);
});
