// A burst of alert changes reaches the page as one `feed-changed` push (src-main/core/workstation/
// alert-pushes.ts) that carries nothing; the push makes the feed stale (queries.ts) and the feed is read
// again. What a screen reader hears about it is decided here, once that re-read is in: the criticals the
// page did not hold before, in one sentence (src-renderer/feed/announcements.ts).
import type { QueryClient } from '@tanstack/react-query';
import { burstAnnouncement, criticalsOn, type Announced } from '../feed/announcements.ts';
import { mayHaveOlder } from '../feed/feed-model.ts';
import { useUiStore } from '../state/ui-store.ts';
import { queries } from './queries.ts';

/** The criticals on the page before a burst re-reads the feed; null while it was never loaded. */
export function criticalsOnPage(client: QueryClient): Set<string> | null {
  const list = client.getQueryData(queries.alerts().queryKey);
  return list ? criticalsOn(list) : null;
}

/**
 * After the feed has been read again (joining the re-read the push started rather than starting
 * another), the sentence for the burst's new criticals, or null when there are none.
 */
export async function burstSentence(
  client: QueryClient,
  criticalsBefore: ReadonlySet<string>,
  announced: Announced,
): Promise<string | null> {
  await client.refetchQueries({ queryKey: queries.alerts().queryKey }, { cancelRefetch: false });
  const after = client.getQueryData(queries.alerts().queryKey);
  if (!after) return null;
  const more = mayHaveOlder(after.length, useUiStore.getState().alertPages);
  return burstAnnouncement(criticalsBefore, after, announced, more);
}
