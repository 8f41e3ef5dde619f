// Short closed-loop soak: a few seeded schedules of the two-workstation variant (two Ward A workstations
// and the charge nurse against one embedded server; races, escalations, declines, accepts, restarts).
// The long one is `npm run soak -- --closed-loop`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runClosedLoopSoak } from '../../support/soak-closed-loop.ts';

const dir = mkdtempSync(join(tmpdir(), 'soak-closed-loop-short-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('short closed-loop soak: two workstations and the charge nurse', () => {
  it('records one acknowledgment and one Task per step, tells each step once on each screen, and leaves no notification standing', async () => {
    const result = await runClosedLoopSoak({
      schedules: 10,
      seed: Number(process.env['SOAK_SEED'] ?? 3),
      workDir: dir,
    });
    const summary = JSON.stringify(result);
    expect(result.problems, summary).toEqual([]);
    expect(result.acknowledgments, summary).toBe(10);
    expect(result.doubleAcknowledgments, summary).toBe(0);
    expect(result.doubleEscalations, summary).toBe(0);
    // Nothing left on any lock screen, a restarted workstation's included.
    expect(result.notificationsLeft, summary).toBe(0);
    // The schedules did exercise the chain (steps were asked and told).
    expect(result.escalationTasks, summary).toBeGreaterThan(0);
    expect(result.stepNotices, summary).toBeGreaterThan(0);
  }, 600_000);
});
