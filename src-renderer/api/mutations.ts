// Mutations shared by the feed (keyboard `a`), the detail panel and the order queue.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { upsertAlert } from '../feed/feed-model.ts';
import { api } from './bridge.ts';
import { queries } from './queries.ts';

function useAlertUpdate() {
  const client = useQueryClient();
  return async (updated: AlertSummary | null) => {
    if (updated)
      client.setQueryData<AlertSummary[]>(queries.alerts().queryKey, (list = []) =>
        upsertAlert(list, updated),
      );
    // A pushed event about the same alert (e.g. the write-back finishing) can overtake this call's own
    // response, which is then older than what the page already shows: re-read so the host's latest wins.
    await client.invalidateQueries({ queryKey: queries.alerts().queryKey });
  };
}

export function useAcknowledge() {
  const update = useAlertUpdate();
  return useMutation({
    mutationFn: (args: { alertId: string; note?: string }) => api.acknowledge(args),
    onSuccess: update,
  });
}

export function useMarkSeen() {
  const update = useAlertUpdate();
  return useMutation({
    mutationFn: (alertId: string) => api.markSeen({ alertId }),
    onSuccess: update,
  });
}

export function useResolve() {
  const update = useAlertUpdate();
  return useMutation({
    mutationFn: (args: { alertId: string; note?: string }) => api.resolveAlert(args),
    onSuccess: update,
  });
}

export function useRetryWriteback() {
  const update = useAlertUpdate();
  return useMutation({
    mutationFn: (alertId: string) => api.retryWriteback({ alertId }),
    onSuccess: update,
  });
}
