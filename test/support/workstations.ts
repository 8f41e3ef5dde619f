// Several workstations against one embedded server, for the closed loop across workstations
// (docs/alerting.md): ward workstations (the ward watched under their own SMART Backend Services
// identity, a clinician signing in to act) and personal ones (a nurse's own machine), each the real
// monitor service with its own SQLite store, signing in through the real SMART flow (the demo sign-in
// page driven with fetch, as a browser would). The only test double is the OS notification daemon: a
// recorder of what would have been raised and withdrawn.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { createSmartSignIn } from '../../src-main/app/sign-in.ts';
import { publicJwk, readWardKey, wardSignIn, type WardKey } from '../../src-main/app/ward-identity.ts';
import { FAIL_SAFE_ROLE, type EscalationPolicy } from '../../src-main/core/alerting/escalation-policy.ts';
import { createLogger, silentLogger, type Logger } from '../../src-main/core/log.ts';
import { topicsForRole } from '../../src-main/core/monitor/topics.ts';
import type {
  AlertNotification,
  EarlierNotification,
  Notifier,
  TopicRequest,
} from '../../src-main/core/ports.ts';
import { createMonitorService, type MonitorService } from '../../src-main/core/service.ts';
import { clientPrincipal } from '../../src-main/core/store/owners.ts';
import type { BackendClientRegistration } from '../../src-main/server/auth/index.ts';
import { DEMO_CLIENT_ID } from '../../src-main/server/demo-users.ts';
import type { RunningServer } from '../../src-main/server/server.ts';
import type { AlertSummary, HostEvent } from '../../src-main/shared/api.ts';
import { bundleResources, type JsonRecord } from '../../src-main/shared/fhir-json.ts';
import { driveSignIn } from '../main/server/auth/helpers.ts';
import { until } from './until.ts';

/** The ward's nurses after ~1 s, the charge nurse ~1 s later, the fail-safe list ~1 s after that. */
export const QUICK_ESCALATION: EscalationPolicy = {
  steps: [
    { role: 'nurse', afterMinutes: 0.02 },
    { role: 'charge-nurse', afterMinutes: 0.02 },
    { role: FAIL_SAFE_ROLE, afterMinutes: 0.02 },
  ],
  failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
};

/** QUICK_ESCALATION's roles, but nobody is asked within a test's lifetime (an hour per step). */
export const PATIENT_ESCALATION: EscalationPolicy = {
  ...QUICK_ESCALATION,
  steps: QUICK_ESCALATION.steps.map((step) => ({ ...step, afterMinutes: 60 })),
};

/** A search on the embedded server as the Ward A charge nurse (reads only): the Bundle's resources. */
export async function searchAsNurse(server: RunningServer, query: string): Promise<JsonRecord[]> {
  const token = server.auth.issueToken({
    userId: 'nurse-a',
    clientId: DEMO_CLIENT_ID,
    scopes: ['user/*.rs'],
  });
  const response = await fetch(`${server.fhirBase}/${query}`, {
    headers: { Authorization: `Bearer ${token.accessToken}` },
  });
  return bundleResources(await response.json());
}

/** Test double for the OS notification daemon: what would have been raised, and taken back. */
export interface NotificationRecorder extends Notifier {
  raised: AlertNotification[];
  withdrawn: string[];
  /** The group ids of notifications for several alerts that were taken back. */
  withdrawnGroups: string[];
  /** Notifications an earlier run raised that were taken back (`withdrawEarlier`). */
  withdrawnEarlier: EarlierNotification[];
}

/**
 * With `osRefs`, each raised notification gets a ref the way a daemon gives an id (`<prefix>-1`, …),
 * so a later run can close it.
 */
export function recordingNotifier(osRefs?: { prefix: string }): NotificationRecorder {
  const raised: AlertNotification[] = [];
  const withdrawn: string[] = [];
  const withdrawnGroups: string[] = [];
  const withdrawnEarlier: EarlierNotification[] = [];
  return {
    raised,
    withdrawn,
    withdrawnGroups,
    withdrawnEarlier,
    notify: async (n) => {
      raised.push(n);
      return osRefs ? `${osRefs.prefix}-${raised.length}` : undefined;
    },
    withdraw: async (alertId) => void withdrawn.push(alertId),
    withdrawGroup: async (groupId) => void withdrawnGroups.push(groupId),
    withdrawEarlier: async (earlier) => void withdrawnEarlier.push(...earlier),
  };
}

export interface Workstation {
  name: string;
  service: MonitorService;
  notifier: NotificationRecorder;
  /** Every event the host pushed (what the page would have received). */
  events: HostEvent[];
  /** Sign this person in (the SMART flow, the demo page answered as `user`). */
  signIn(user: string): Promise<void>;
  /** This workstation's alert about `focus`, as the signed-in user's feed shows it. */
  alertFor(focus: string): Promise<AlertSummary | null>;
  close(): Promise<void>;
}

/** A ward identity's key pair (ES384) in `dir`, and the registration a hospital's IT would make. */
export async function wardIdentity(
  dir: string,
  clientId: string,
  ward: string,
): Promise<{ key: WardKey; keyFile: string; registration: BackendClientRegistration }> {
  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  const keyFile = join(dir, `${clientId}.private.jwk.json`);
  writeFileSync(
    keyFile,
    JSON.stringify({ ...(await exportJWK(privateKey)), kid: `${clientId}-1`, alg: 'ES384' }),
    {
      mode: 0o600,
    },
  );
  const key = readWardKey(keyFile);
  return {
    key,
    keyFile,
    registration: {
      kind: 'backend',
      clientId,
      jwks: { keys: [publicJwk(key)] },
      securityLabels: [ward],
      role: 'ward-workstation',
    },
  };
}

export interface WorkstationOptions {
  name: string;
  dataDir: string;
  fhirBase: string;
  policy: EscalationPolicy;
  /** Escalation clock tick (ms). */
  tickMs?: number;
  /** Re-notification after the last step (minutes). */
  repeatMinutes?: number;
  logger?: Logger;
  /** The topics a personal workstation subscribes to. Default: the nurse topics. */
  topics?: TopicRequest[];
  /** The notification recorder to use (a restarted workstation keeps counting in the same one). */
  notifier?: NotificationRecorder;
  /** Ward workstation: its ward and identity. Absent: a personal workstation. */
  ward?: { ward: string; clientId: string; key: WardKey };
}

export function startWorkstation(options: WorkstationOptions): Workstation {
  // WS_LOG=1 prints each workstation's log (ids and counts only) when a run needs explaining.
  const logger =
    options.logger ?? (process.env['WS_LOG'] ? createLogger(options.name, 'debug') : silentLogger());
  const notifier = options.notifier ?? recordingNotifier();
  const events: HostEvent[] = [];
  const auth = createSmartSignIn({ logger });
  const server = { fhirBase: options.fhirBase, name: 'Embedded server', clientId: DEMO_CLIENT_ID };
  let user = 'nurse-a';
  const firstStep = options.policy.steps[0]?.afterMinutes ?? 10;
  const service = createMonitorService({
    dataDir: options.dataDir,
    host: { kind: 'browser', version: 'test', osNotifications: true },
    notifier,
    logger,
    defaultServer: server,
    signIn: (choice, context) => auth.signIn(choice, context),
    openUrl: async (url) => {
      await fetch(await driveSignIn(url, { user }));
    },
    topicsFor: (_session, choice) => options.topics ?? topicsForRole(choice.role, 5),
    alerting: {
      ackTimeoutMinutes: firstStep,
      escalationPolicy: options.policy,
      tickMs: options.tickMs ?? 200,
      repeatMinutes: options.repeatMinutes ?? 60,
    },
    ...(options.ward
      ? {
          workstation: {
            kind: 'ward' as const,
            ward: options.ward.ward,
            server,
            principal: clientPrincipal(options.ward.clientId),
            signIn: wardSignIn({
              fhirBase: options.fhirBase,
              clientId: options.ward.clientId,
              key: options.ward.key,
              logger,
            }),
            topics: topicsForRole('nurse', 5),
            retryMs: 1_000,
          },
        }
      : {}),
  });
  service.onEvent((event) => events.push(event));
  let closed = false;
  return {
    name: options.name,
    service,
    notifier,
    events,
    async signIn(who) {
      user = who;
      await service.handlers.signIn({ role: 'nurse' });
      await until(
        async () => (await service.handlers.getSession({})).state === 'signed-in',
        `${options.name}: ${who} signed in`,
      );
    },
    async alertFor(focus) {
      return (await service.handlers.listAlerts({ limit: 200 })).find((a) => a.focus === focus) ?? null;
    },
    async close() {
      if (closed) return;
      closed = true;
      await service.close();
    },
  };
}

/**
 * Every topic of this workstation (the nurse topics, the closed-loop ones included) has a live
 * subscription. Waiting for "every subscription listed is live" is not enough: subscriptions are set up
 * one after another, and a record written before the closed-loop topic's subscription exists is never
 * delivered to it (a charge nurse's screen once missed an acknowledgment that way).
 */
export async function live(ws: Workstation): Promise<void> {
  const topics = topicsForRole('nurse').map((t) => t.topic);
  await until(async () => {
    const health = await ws.service.handlers.getHealth({});
    const liveTopics = new Set(
      health.subscriptions.filter((s) => s.connection === 'live').map((s) => s.topic),
    );
    return topics.every((topic) => liveTopics.has(topic));
  }, `${ws.name}: a live subscription for every topic`);
}
