// Starting the app under test: the project's real composition (src-main/app/compose.ts `startApp`, servers
// mode, as both hosts start it) against Medplum, with a recording notifier (the test double for the OS
// notification daemon) and a secret store that stands in for Electron's safeStorage; and reading what
// the app holds for a result.
import { join, resolve } from 'node:path';
import { startApp, type RunningApp } from '../../src-main/app/compose.ts';
import type { EscalationPolicy } from '../../src-main/core/alerting/escalation-policy.ts';
import type { MemorySecretStore } from '../../src-main/core/auth/index.ts';
import { createLogger } from '../../src-main/core/log.ts';
import { CRITICAL_LAB_TOPIC } from '../../src-main/core/monitor/topics.ts';
import type { AlertNotification } from '../../src-main/core/ports.ts';
import type { AlertSummary, SubscriptionHealth } from '../../src-main/shared/api.ts';
import { completeMedplumLogin } from '../../test/support/medplum-login.ts';
import type { Provisioned } from './medplum-admin.ts';
import { fhirBase, redirectPort } from './target.ts';
import { WARD } from './ward.ts';

const root = resolve(import.meta.dirname, '../..');

export interface Recorded extends AlertNotification {
  at: number;
}

/** Every alert whose notifications an app of this run took back (the notification daemon's side). */
export const withdrawals: string[] = [];

/** How a workstation differs from the nurse's own: its escalation policy, who signs in, a ward identity. */
export interface LaunchOptions {
  policy?: EscalationPolicy | null;
  /** Who completes a sign-in, asked at each one (a ward screen is signed in to by several people). */
  user?: () => Provisioned['nurse'];
  /** A ward workstation: its backend client and private key file. */
  ward?: { clientId: string; keyFile: string };
  /** Hours a first sign-in reads back (default the app's, 12). */
  readBackHours?: number;
}

/** The app as a host starts it, in servers mode, with a recording notifier and a durable secret store. */
export function launch(
  dataDir: string,
  notified: Recorded[],
  secrets: MemorySecretStore,
  who: Provisioned,
  options: LaunchOptions = {},
) {
  const user = options.user ?? (() => who.nurse);
  return startApp(
    {
      dataDir,
      host: { kind: 'browser', version: 'interop', osNotifications: true },
      // LOG_LEVEL=warn shows the app's own account of each recovery step (ids and counts only).
      logger: createLogger('interop-app', process.env['LOG_LEVEL'] ?? 'error'),
      rulesPath: join(root, 'resources/rules/critical-values.json'),
      createNotifier: () => ({
        notify: async (n) => void notified.push({ ...n, at: Date.now() }),
        withdraw: async (alertId) => void withdrawals.push(alertId),
      }),
      // Stands in for Electron's safeStorage: the restart resumes the session as the desktop app does.
      secretStore: secrets,
      openAuthorizationUrl: async (url) => {
        await completeMedplumLogin(url, user());
      },
    },
    {
      kind: 'servers',
      servers: [{ fhirBase, name: 'Medplum (interop)', clientId: who.clientId, redirectPort }],
      escalation: { policy: options.policy ?? null },
      ...(options.readBackHours !== undefined ? { readBackHours: options.readBackHours } : {}),
      ...(options.ward
        ? {
            workstation: {
              kind: 'ward' as const,
              identity: { clientId: options.ward.clientId, ward: WARD, privateKeyFile: options.ward.keyFile },
            },
          }
        : {}),
    },
  );
}

export const alertsFor = (app: RunningApp, focus: string): AlertSummary[] =>
  app.service.store.alerts.list(1000).filter((a) => a.focus === focus);

export async function criticalHealth(app: RunningApp): Promise<SubscriptionHealth | undefined> {
  const health = await app.service.handlers.getHealth({});
  return health.subscriptions.find((s) => s.topic === CRITICAL_LAB_TOPIC);
}

export function notificationsFor(app: RunningApp, notified: Recorded[], focus: string): Recorded[] {
  return notified.filter(
    (n) => n.alertId !== null && app.service.store.alerts.get(n.alertId)?.focus === focus,
  );
}

export async function signedIn(app: RunningApp): Promise<boolean> {
  return (await app.service.handlers.getSession({})).state === 'signed-in';
}
