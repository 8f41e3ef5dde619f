// A feed-changed push through the page's query cache (src-renderer/api/burst-announcer.ts, queries.ts):
// the push makes the feed stale, the feed is read again, and the burst's new criticals are told once
// that read is in — not from the rows the page held before it. The host's listing is a stand-in
// function here (the page's query cache and its re-read are real TanStack Query).
import { QueryClient, QueryObserver } from '@tanstack/react-query';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type * as BurstAnnouncer from '../../src-renderer/api/burst-announcer.ts';
import type * as Queries from '../../src-renderer/api/queries.ts';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { alertSummary } from '../support/alert-summary.ts';

let announcer: typeof BurstAnnouncer;
let queries: typeof Queries.queries;
let applyHostEvent: typeof Queries.applyHostEvent;

beforeAll(async () => {
  // bridge.ts takes Electron's preload API when there is one: an empty stand-in, so importing the
  // queries starts no HTTP bridge. The listing below never reaches it.
  vi.stubGlobal('window', { monitorApi: {} });
  ({ queries, applyHostEvent } = await import('../../src-renderer/api/queries.ts'));
  announcer = await import('../../src-renderer/api/burst-announcer.ts');
});

const alert = alertSummary;

/**
 * A page's cache holding `shown`, with the feed mounted (an observer: the push's invalidation then
 * starts the re-read, as on the page); its next read of the feed returns `next`.
 */
function pageWith(shown: AlertSummary[], next: AlertSummary[]) {
  const client = new QueryClient();
  const reads = { count: 0 };
  client.setQueryDefaults(queries.alerts().queryKey, {
    // Fresh until a push says otherwise, so mounting the feed reads nothing by itself.
    staleTime: Infinity,
    queryFn: async () => {
      reads.count += 1;
      await new Promise((resolve) => setTimeout(resolve, 0));
      return next;
    },
  });
  client.setQueryData(queries.alerts().queryKey, shown);
  new QueryObserver(client, { queryKey: queries.alerts().queryKey }).subscribe(() => undefined);
  return { client, reads };
}

describe('a burst on the page', () => {
  it('is told after the feed is read again: the criticals classified by the burst, in one sentence', async () => {
    const waiting = [2, 1].map((n) => alert(n, { tier: 'unclassified', fetch: 'pending' }));
    const { client, reads } = pageWith(
      [alert(0, { state: 'seen' }), ...waiting],
      [alert(2), alert(1), alert(0)],
    );

    const before = announcer.criticalsOnPage(client);
    expect(before).toEqual(new Set(['s:0']));
    applyHostEvent(client, { type: 'feed-changed' });
    const sentence = await announcer.burstSentence(client, before ?? new Set(), new Set());

    expect(sentence).toBe(
      '2 new critical results arrived together. Newest: Potassium 6.2 mmol/L, Pat 2 · MRN PT-2, Ward A bed 2',
    );
    expect(reads.count).toBe(1); // the announcer joined the re-read the push started
    expect(client.getQueryData(queries.alerts().queryKey)?.map((a) => a.id)).toEqual(['s:2', 's:1', 's:0']);
  });

  it('says nothing when the page never held the feed (the first read is no burst), nor twice', async () => {
    const { client, reads } = pageWith([alert(1)], [alert(3), alert(2), alert(1)]);
    const empty = new QueryClient();
    expect(announcer.criticalsOnPage(empty)).toBeNull();

    const announced = new Set<string>();
    const before = announcer.criticalsOnPage(client) ?? new Set<string>();
    applyHostEvent(client, { type: 'feed-changed' });
    const [first, second] = await Promise.all([
      announcer.burstSentence(client, before, announced),
      announcer.burstSentence(client, before, announced),
    ]);
    expect(reads.count).toBe(1);
    expect([first, second].filter((s) => s !== null)).toEqual([
      '2 new critical results arrived together. Newest: Potassium 6.3 mmol/L, Pat 3 · MRN PT-3, Ward A bed 3',
    ]);
  });
});
