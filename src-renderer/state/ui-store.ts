// Small UI state only (selection, filters, view, in-page notifications). Anything fetched lives in
// TanStack Query.
import { create } from 'zustand';
import type { HostLink } from '../api/bridge.ts';
import { NO_FILTERS, type FeedFilters } from '../feed/feed-model.ts';

export interface InPageNotification {
  id: number;
  alertId: string | null;
  title: string;
  body: string;
}

export type Role = 'nurse' | 'pharmacist';
export type View = 'alerts' | 'role' | 'health' | 'settings';

interface UiState {
  /** The alert open in the detail panel. */
  selectedAlertId: string | null;
  /** The keyboard cursor in the feed (j/k); Enter opens it. */
  cursorId: string | null;
  filters: FeedFilters;
  notifications: InPageNotification[];
  hostLink: HostLink;
  role: Role;
  view: View;
  /** The order open in the pharmacist queue. */
  selectedOrder: string | null;
  /** Latest text for the assertive live region (new criticals). */
  announcement: { id: number; text: string } | null;
  showShortcuts: boolean;
  /** How many pages of the alert list the user has asked for (1 = the newest page only). */
  alertPages: number;
}

const ROLE_KEY = 'alert-monitor.role';
function storedRole(): Role {
  try {
    return localStorage.getItem(ROLE_KEY) === 'pharmacist' ? 'pharmacist' : 'nurse';
  } catch {
    return 'nurse';
  }
}

export const useUiStore = create<UiState>()(() => ({
  selectedAlertId: null,
  cursorId: null,
  filters: NO_FILTERS,
  notifications: [],
  hostLink: 'connecting',
  role: storedRole(),
  view: 'alerts',
  selectedOrder: null,
  announcement: null,
  showShortcuts: false,
  alertPages: 1,
}));

/** Signed out: nothing selected, no notification or announcement left on screen (they name patients). */
export function clearPatientSelection(): void {
  useUiStore.setState({
    selectedAlertId: null,
    cursorId: null,
    selectedOrder: null,
    filters: NO_FILTERS,
    notifications: [],
    announcement: null,
    alertPages: 1,
  });
}

let nextNotificationId = 1;
let nextAnnouncement = 1;

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
  clearFilters: () => useUiStore.setState({ filters: NO_FILTERS }),
  pushNotification: (n: Omit<InPageNotification, 'id'>) =>
    useUiStore.setState((s) => ({
      notifications: [...s.notifications.slice(-4), { ...n, id: nextNotificationId++ }],
    })),
  dismissNotification: (id: number) =>
    useUiStore.setState((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) })),
  setHostLink: (hostLink: HostLink) => useUiStore.setState({ hostLink }),
  chooseRole: (role: Role) => {
    try {
      localStorage.setItem(ROLE_KEY, role);
    } catch {
      // private mode: the choice lasts for this page only
    }
    useUiStore.setState({ role });
  },
  showView: (view: View) => useUiStore.setState({ view }),
  selectOrder: (selectedOrder: string | null) => useUiStore.setState({ selectedOrder }),
  announce: (text: string) => useUiStore.setState({ announcement: { id: nextAnnouncement++, text } }),
  toggleShortcuts: (show?: boolean) =>
    useUiStore.setState((s) => ({ showShortcuts: show ?? !s.showShortcuts })),
};
