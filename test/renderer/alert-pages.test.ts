import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { ALERT_PAGE, loadAlertPages, mayHaveOlder } from '../../src-renderer/feed/feed-model.ts';

// A host holding `total` alerts, newest first, answering listAlerts like the real one (limit + before).
function host(total: number) {
  const rows = Array.from({ length: total }, (_, i) => ({ id: `a${total - i}` }) as AlertSummary);
  const calls: Array<{ limit: number; before?: string }> = [];
  return {
    calls,
    listAlerts: async (args: { limit: number; before?: string }) => {
      calls.push(args);
      const start = args.before ? rows.findIndex((r) => r.id === args.before) + 1 : 0;
      return rows.slice(start, start + args.limit);
    },
  };
}

describe('alert paging', () => {
  it('loads the pages asked for, each continuing before the last row of the previous one', async () => {
    const h = host(2 * ALERT_PAGE + 10);
    const list = await loadAlertPages(h.listAlerts, 2);
    expect(list).toHaveLength(2 * ALERT_PAGE);
    expect(new Set(list.map((a) => a.id)).size).toBe(2 * ALERT_PAGE);
    expect(h.calls).toEqual([{ limit: ALERT_PAGE }, { limit: ALERT_PAGE, before: list[ALERT_PAGE - 1]?.id }]);
    expect(mayHaveOlder(list.length, 2)).toBe(true);
  });

  it('stops at a short page and then offers nothing older', async () => {
    const h = host(ALERT_PAGE + 5);
    const list = await loadAlertPages(h.listAlerts, 5);
    expect(list).toHaveLength(ALERT_PAGE + 5);
    expect(h.calls).toHaveLength(2);
    expect(mayHaveOlder(list.length, 5)).toBe(false);
  });
});
