// Electron IPC channel names for the MonitorApi. Kept free of zod so the sandboxed preload stays tiny.
import type { ApiMethod } from './api.ts';

export const API_METHODS = [
  'getHostInfo',
  'getSession',
  'signIn',
  'signOut',
  'listAlerts',
  'getResource',
  'markSeen',
  'acknowledge',
  'getHealth',
  'getObservationTrend',
  'getAllergies',
  'getWardBoard',
  'resolveAlert',
  'getAlertingStatus',
  'exportAudit',
  'reloadRules',
  'retryWriteback',
  'getPreferences',
  'setPreferences',
  'getLaunchAtLogin',
  'setLaunchAtLogin',
  'getLockedWard',
  'listWorklist',
  'getOrderReview',
  'decideOrder',
  'getOrderChecksStatus',
  'reloadOrderChecks',
  'answerEscalation',
] as const satisfies readonly ApiMethod[];

// Compile-time proof that the list names every method of the contract.
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
export const API_METHODS_COMPLETE: [Missing] extends [never] ? true : never = true;

export const IPC_EVENT_CHANNEL = 'monitor:event';
export const ipcChannel = (method: ApiMethod): string => `monitor:call:${method}`;
