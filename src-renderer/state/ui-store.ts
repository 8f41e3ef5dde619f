// Small UI state only (selection, filters, in-page notifications). Anything fetched lives in TanStack Query.
import { create } from 'zustand';
import type { AlertClass } from '../../src-main/shared/api.ts';
import type { HostLink } from '../api/bridge.ts';

export interface InPageNotification {
  id: number;
  alertId: string | null;
  title: string;
  body: string;
}

interface UiState {
  selectedAlertId: string | null;
  tierFilter: AlertClass | 'all';
  notifications: InPageNotification[];
  hostLink: HostLink;
}

export const useUiStore = create<UiState>()(() => ({
  selectedAlertId: null,
  tierFilter: 'all',
  notifications: [],
  hostLink: 'connecting',
}));

let nextNotificationId = 1;

// Actions are events, defined at module level (zustand "practice with no store actions").
export const uiActions = {
  selectAlert: (selectedAlertId: string | null) => useUiStore.setState({ selectedAlertId }),
  setTierFilter: (tierFilter: UiState['tierFilter']) => useUiStore.setState({ tierFilter }),
  pushNotification: (n: Omit<InPageNotification, 'id'>) =>
    useUiStore.setState((s) => ({
      notifications: [...s.notifications.slice(-4), { ...n, id: nextNotificationId++ }],
    })),
  dismissNotification: (id: number) =>
    useUiStore.setState((s) => ({ notifications: s.notifications.filter((n) => n.id !== id) })),
  setHostLink: (hostLink: HostLink) => useUiStore.setState({ hostLink }),
};
