// Query keys and options for everything fetched from the host; pushed events update the cache.
import { queryOptions, type QueryClient } from '@tanstack/react-query';
import type { AlertSummary, HostEvent } from '../../src-main/shared/api.ts';
import { api } from './bridge.ts';

export const queries = {
  session: () => queryOptions({ queryKey: ['session'], queryFn: () => api.getSession({}) }),
  hostInfo: () =>
    queryOptions({ queryKey: ['host'], queryFn: () => api.getHostInfo({}), staleTime: Infinity }),
  health: () => queryOptions({ queryKey: ['health'], queryFn: () => api.getHealth({}) }),
  alerts: () => queryOptions({ queryKey: ['alerts', 'list'], queryFn: () => api.listAlerts({ limit: 500 }) }),
  resource: (reference: string) =>
    queryOptions({ queryKey: ['resource', reference], queryFn: () => api.getResource({ reference }) }),
};

function newestFirst(a: AlertSummary, b: AlertSummary): number {
  return b.receivedAt.localeCompare(a.receivedAt) || Number(b.eventNumber) - Number(a.eventNumber);
}

/** Apply one pushed event to the cache: precise updates for alerts, replacement for session/health. */
export function applyHostEvent(client: QueryClient, event: HostEvent): void {
  switch (event.type) {
    case 'alert':
      client.setQueryData<AlertSummary[]>(queries.alerts().queryKey, (list = []) => {
        const rest = list.filter((a) => a.id !== event.alert.id);
        return [event.alert, ...rest].sort(newestFirst);
      });
      break;
    case 'session':
      client.setQueryData(queries.session().queryKey, event.session);
      void client.invalidateQueries({ queryKey: queries.alerts().queryKey });
      break;
    case 'health':
      client.setQueryData(queries.health().queryKey, event.health);
      break;
    case 'notify':
      break;
  }
}
