// Mutations shared by the feed (keyboard `a`), the detail panel and the order queue.
//
// The results are not written into the cache: the host pushes an `alert` event for every change it
// makes, in order, and that stream is the feed's only writer. A call's own response could arrive after
// a newer pushed event (the write-back finishing, say) and would then put older state back on screen.
import { useMutation } from '@tanstack/react-query';
import { api } from './bridge.ts';

export function useAcknowledge() {
  return useMutation({ mutationFn: (args: { alertId: string; note?: string }) => api.acknowledge(args) });
}

export function useMarkSeen() {
  return useMutation({ mutationFn: (alertId: string) => api.markSeen({ alertId }) });
}

export function useResolve() {
  return useMutation({ mutationFn: (args: { alertId: string; note?: string }) => api.resolveAlert(args) });
}

export function useRetryWriteback() {
  return useMutation({ mutationFn: (alertId: string) => api.retryWriteback({ alertId }) });
}
