// Query keys and options for everything fetched from the host; pushed events update the cache.
import { queryOptions, type QueryClient } from '@tanstack/react-query';
import type { AlertSummary, HostEvent } from '../../src-main/shared/api.ts';
import { loadAlertPages, upsertAlert } from '../feed/feed-model.ts';
import { clearPatientSelection, useUiStore } from '../state/ui-store.ts';
import { api } from './bridge.ts';

export const queries = {
  session: () => queryOptions({ queryKey: ['session'], queryFn: () => api.getSession({}) }),
  hostInfo: () =>
    queryOptions({ queryKey: ['host'], queryFn: () => api.getHostInfo({}), staleTime: Infinity }),
  health: () => queryOptions({ queryKey: ['health'], queryFn: () => api.getHealth({}) }),
  /** The locked ward screen (ward workstation); replaced by pushed `locked-ward` events. */
  lockedWard: () => queryOptions({ queryKey: ['locked-ward'], queryFn: () => api.getLockedWard({}) }),
  preferences: () => queryOptions({ queryKey: ['preferences'], queryFn: () => api.getPreferences({}) }),
  launchAtLogin: () =>
    queryOptions({ queryKey: ['launch-at-login'], queryFn: () => api.getLaunchAtLogin({}) }),
  /** Rules, closed-loop counts and write-back health; replaced by pushed `alerting` events. */
  alertingStatus: () => queryOptions({ queryKey: ['alerting'], queryFn: () => api.getAlertingStatus({}) }),
  alerts: () =>
    queryOptions({
      queryKey: ['alerts', 'list'],
      // As many pages as the user asked for ("Load older alerts"), so a refetch keeps them.
      queryFn: () => loadAlertPages((args) => api.listAlerts(args), useUiStore.getState().alertPages),
      // Each push replaces one row; deep-comparing 100,000 rows per push would dominate the frame.
      structuralSharing: false,
    }),
  /** Resources by reference; a pushed alert for the reference invalidates it (a new version may exist). */
  resource: (reference: string) =>
    queryOptions({ queryKey: ['resource', reference], queryFn: () => api.getResource({ reference }) }),
  trend: (reference: string) =>
    queryOptions({
      queryKey: ['trend', reference],
      queryFn: () => api.getObservationTrend({ reference, count: 20 }),
    }),
  allergies: (patient: string) =>
    queryOptions({ queryKey: ['allergies', patient], queryFn: () => api.getAllergies({ patient }) }),
  wardBoard: () =>
    queryOptions({
      queryKey: ['ward-board'],
      queryFn: () => api.getWardBoard({}),
      // Encounter changes arrive as pushes only when subscribed to the encounter topics; poll as well.
      refetchInterval: 30_000,
      staleTime: 10_000,
    }),
  /**
   * The pharmacist's worklist (a host search). A `worklist` push (a decision here or elsewhere, a stat
   * order) refetches it; urgent and routine orders raise no push, so it also polls.
   */
  worklist: (filter: { ward?: string; patient?: string }) =>
    queryOptions({
      queryKey: ['worklist', filter],
      queryFn: () => api.listWorklist(filter),
      refetchInterval: 20_000,
      staleTime: 5_000,
    }),
  review: (order: string) =>
    queryOptions({ queryKey: ['review', order], queryFn: () => api.getOrderReview({ order }) }),
  orderChecks: () =>
    queryOptions({ queryKey: ['order-checks'], queryFn: () => api.getOrderChecksStatus({}) }),
};

/** Everything fetched that may hold patient data: dropped, not kept, when nobody is signed in. */
const PATIENT_QUERIES = [
  ['alerts'],
  ['resource'],
  ['trend'],
  ['allergies'],
  ['ward-board'],
  ['worklist'],
  ['review'],
];

/**
 * Signed out: no view may keep a name or a value. The cached queries with patient data go (not just
 * stale: removed), and so do the selection, the in-page notifications and the announcement.
 */
export function forgetPatientData(client: QueryClient): void {
  for (const queryKey of PATIENT_QUERIES) client.removeQueries({ queryKey });
  clearPatientSelection();
}

/** Apply one pushed event to the cache: precise updates for alerts, replacement for session/health. */
export function applyHostEvent(client: QueryClient, event: HostEvent): void {
  switch (event.type) {
    case 'alert': {
      const { alert } = event;
      client.setQueryData<AlertSummary[]>(queries.alerts().queryKey, (list = []) => upsertAlert(list, alert));
      if (alert.fetch === 'ok') {
        void client.invalidateQueries({ queryKey: ['resource', alert.focus] });
        const type = alert.focus.split('/')[0];
        if (type === 'Observation') void client.invalidateQueries({ queryKey: ['trend'] });
        if (type === 'Encounter') void client.invalidateQueries({ queryKey: queries.wardBoard().queryKey });
        if (type === 'MedicationRequest') void client.invalidateQueries({ queryKey: ['worklist'] });
      }
      break;
    }
    case 'session':
      client.setQueryData(queries.session().queryKey, event.session);
      if (event.session.state !== 'signed-in') forgetPatientData(client);
      else void client.invalidateQueries({ queryKey: queries.alerts().queryKey });
      break;
    case 'locked-ward':
      client.setQueryData(queries.lockedWard().queryKey, event.view);
      break;
    case 'health':
      client.setQueryData(queries.health().queryKey, event.health);
      break;
    case 'alerting':
      client.setQueryData(queries.alertingStatus().queryKey, event.status);
      break;
    case 'worklist':
      // Orders joined or left the worklist: search again, and re-read the reviews (decision state).
      void client.invalidateQueries({ queryKey: ['worklist'] });
      void client.invalidateQueries({ queryKey: ['review'] });
      break;
    case 'feed-changed':
      // A burst of alerts (a catch-up) changed: the feed's pages and what the page shows of them are
      // read again; a read under way finishes rather than restarting.
      for (const queryKey of [
        queries.alerts().queryKey,
        ['resource'],
        ['trend'],
        ['worklist'],
        ['review'],
        ['ward-board'],
      ])
        void client.invalidateQueries({ queryKey }, { cancelRefetch: false });
      break;
    case 'results':
      // A final report arrived: the trends on screen re-read (those not on screen when next shown). A
      // read under way finishes rather than restarting for each report of a burst.
      void client.invalidateQueries({ queryKey: ['trend'] }, { cancelRefetch: false });
      break;
    case 'notify':
    case 'withdraw-notification':
    case 'withdraw-group-notification':
    case 'focus-alert':
      break;
  }
}
