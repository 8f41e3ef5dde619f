// Small UI state only (selection, filters, view, in-page notifications, per-alert notes and outcomes).
// Anything fetched lives in TanStack Query.
import { create } from 'zustand';
import { INITIAL_LINK, type HostLink } from '../api/bridge.ts';
import { DEFAULT_FILTERS, type FeedFilters } from '../feed/feed-model.ts';

export interface InPageNotification {
  id: number;
  alertId: string | null;
  /** A notification for several alerts: it goes once none of them is open. */
  groupId?: string;
  /** The host's wording (privacy mode applied), used when the alert is not in the list (yet). */
  title: string;
  body: string;
  /** What it is ("ESCALATED TO YOU"), for the toast that names the alert itself. */
  lead?: string;
  /** The host's wording for inside the app, when it has one. */
  inAppBody?: string;
}

/** What became of an acknowledgment that did not go through: shown on that alert until retried. */
export interface AckOutcome {
  kind: 'failed' | 'refused';
  text: string;
}

export type View = 'alerts' | 'role' | 'health' | 'settings';

interface UiState {
  /** The alert open in the detail panel: the only alert Acknowledge (button, key, list) acts on. */
  selectedAlertId: string | null;
  /** The keyboard cursor in the feed (j/k); Enter opens it. */
  cursorId: string | null;
  filters: FeedFilters;
  notifications: InPageNotification[];
  hostLink: HostLink;
  /** Counts host-link reopenings: the detail marks its alert seen again on each (the host may be new). */
  linkEpoch: number;
  view: View;
  /** The order open in the pharmacist's review. */
  selectedOrder: string | null;
  /** The worklist's filters (ward label, patient text). */
  worklistFilter: { ward: string; patient: string };
  /** Latest text for the assertive live region (new criticals). */
  announcement: { id: number; text: string } | null;
  showShortcuts: boolean;
  /** How many pages of the alert list the user has asked for (1 = the newest page only). */
  alertPages: number;
  /** Read-back notes being typed, per alert: a note belongs to one alert and is never carried over. */
  notes: Record<string, string>;
  /** Failed or refused acknowledgments, per alert. */
  ackOutcomes: Record<string, AckOutcome>;
  /** Alerts the host recorded as opened by this page since the link last (re)opened. */
  opened: Record<string, true>;
  /** What a key press did not do (e.g. `a` with no alert open); `at`: when (shown a few seconds). */
  keyMessage: { id: number; text: string; at: number } | null;
  /** Large type for reading at a distance (a ward display); kept per browser. */
  largeType: boolean;
}

const LARGE_TYPE_KEY = 'alert-monitor.large-type';

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

export const useUiStore = create<UiState>()(() => ({
  selectedAlertId: null,
  cursorId: null,
  filters: DEFAULT_FILTERS,
  notifications: [],
  hostLink: INITIAL_LINK,
  linkEpoch: 0,
  view: 'alerts',
  selectedOrder: null,
  worklistFilter: { ward: '', patient: '' },
  announcement: null,
  showShortcuts: false,
  alertPages: 1,
  notes: {},
  ackOutcomes: {},
  opened: {},
  keyMessage: null,
  largeType: stored(LARGE_TYPE_KEY) === '1',
}));

/** Signed out: nothing selected, no notification, announcement, note or filter left (they name patients). */
export function clearPatientSelection(): void {
  useUiStore.setState({
    selectedAlertId: null,
    cursorId: null,
    selectedOrder: null,
    worklistFilter: { ward: '', patient: '' },
    filters: DEFAULT_FILTERS,
    notifications: [],
    announcement: null,
    alertPages: 1,
    // Notes, outcomes and what was opened belong to the user who signed out.
    notes: {},
    ackOutcomes: {},
    opened: {},
    keyMessage: null,
  });
}

let nextNotificationId = 1;
let nextAnnouncement = 1;
let nextKeyMessage = 1;

const without = <T>(record: Record<string, T>, key: string): Record<string, T> =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));

// Actions are events, defined at module level (zustand "practice with no store actions").
export const uiActions = {
  showMoreAlertPages: () => useUiStore.setState((s) => ({ alertPages: s.alertPages + 1 })),
  selectAlert: (selectedAlertId: string | null) =>
    useUiStore.setState({ selectedAlertId, cursorId: selectedAlertId, view: 'alerts' }),
  /** Open an alert without leaving the current view (ward board keeps the feed beside it). */
  openAlert: (selectedAlertId: string) => useUiStore.setState({ selectedAlertId, cursorId: selectedAlertId }),
  moveCursor: (cursorId: string | null) => useUiStore.setState({ cursorId }),
  setFilter: <K extends keyof FeedFilters>(key: K, value: FeedFilters[K]) =>
    useUiStore.setState((s) => ({ filters: { ...s.filters, [key]: value } })),
  clearFilters: () => useUiStore.setState({ filters: DEFAULT_FILTERS }),
  pushNotification: (n: Omit<InPageNotification, 'id'>) =>
    useUiStore.setState((s) => ({
      notifications: [
        ...s.notifications.filter((old) => old.alertId === null || old.alertId !== n.alertId).slice(-4),
        { ...n, id: nextNotificationId++ },
      ],
    })),
  dismissNotification: (id: number) =>
    useUiStore.setState((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) })),
  /** The alert was acknowledged or opened: its toast has done its job. */
  dismissNotificationsFor: (alertId: string) =>
    useUiStore.setState((s) => ({ notifications: s.notifications.filter((n) => n.alertId !== alertId) })),
  /** None of the alerts a notification for several covered is open: its toast has done its job. */
  dismissGroupNotification: (groupId: string) =>
    useUiStore.setState((s) => ({ notifications: s.notifications.filter((n) => n.groupId !== groupId) })),
  setHostLink: (hostLink: HostLink) =>
    useUiStore.setState((s) =>
      hostLink === 'open' && s.hostLink !== 'open'
        ? // A (possibly restarted) host: what this page opened must be recorded with it again.
          { hostLink, linkEpoch: s.linkEpoch + 1, opened: {} }
        : { hostLink },
    ),
  showView: (view: View) => useUiStore.setState({ view }),
  selectOrder: (selectedOrder: string | null) => useUiStore.setState({ selectedOrder }),
  /** The role view (the pharmacist's worklist) with this order's review open. */
  reviewOrder: (order: string) => useUiStore.setState({ view: 'role', selectedOrder: order }),
  setWorklistFilter: (change: Partial<UiState['worklistFilter']>) =>
    useUiStore.setState((s) => ({ worklistFilter: { ...s.worklistFilter, ...change } })),
  announce: (text: string) => useUiStore.setState({ announcement: { id: nextAnnouncement++, text } }),
  toggleShortcuts: (show?: boolean) =>
    useUiStore.setState((s) => ({ showShortcuts: show ?? !s.showShortcuts })),
  setNote: (alertId: string, text: string) =>
    useUiStore.setState((s) => ({ notes: { ...s.notes, [alertId]: text } })),
  clearNote: (alertId: string) => useUiStore.setState((s) => ({ notes: without(s.notes, alertId) })),
  setAckOutcome: (alertId: string, outcome: AckOutcome | null) =>
    useUiStore.setState((s) => ({
      ackOutcomes: outcome ? { ...s.ackOutcomes, [alertId]: outcome } : without(s.ackOutcomes, alertId),
    })),
  markOpened: (alertId: string) => useUiStore.setState((s) => ({ opened: { ...s.opened, [alertId]: true } })),
  keyMessage: (text: string) =>
    useUiStore.setState({ keyMessage: { id: nextKeyMessage++, text, at: Date.now() } }),
  /** The message was shown for its time (or no longer applies): gone, also for a view mounted later. */
  clearKeyMessage: (id?: number) =>
    useUiStore.setState((s) => (id === undefined || s.keyMessage?.id === id ? { keyMessage: null } : {})),
  setLargeType: (largeType: boolean) => {
    store(LARGE_TYPE_KEY, largeType ? '1' : '0');
    useUiStore.setState({ largeType });
  },
};
