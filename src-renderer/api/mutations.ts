// Mutations shared by the feed (keyboard `a`), the detail panel and the order queue.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { upsertAlert } from '../feed/feed-model.ts';
import { api } from './bridge.ts';
import { queries } from './queries.ts';

function useAlertUpdate() {
  const client = useQueryClient();
  return (updated: AlertSummary | null) => {
    if (updated)
      client.setQueryData<AlertSummary[]>(queries.alerts().queryKey, (list = []) =>
        upsertAlert(list, updated),
      );
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
