// The composition root both hosts (the Electron shell and the browser host) start the app through:
// the instance lock, the rules file, the SMART sign-in, the monitor service, the ward identity of a
// ward workstation, and the local demo only when the mode asks for it. A host passes in only what it
// alone has (host info, notifier, secret store, launch at login, how to open an authorization URL,
// data directory) and gets back the service and one close() that undoes everything in the right order.
// The mode comes from the deployment configuration (config.ts) or the hosts' zero-config default.
import { dirname, join } from 'node:path';
import { DEMO_ESCALATION_POLICY } from '../core/alerting/escalation-policy.ts';
import { acquireInstanceLock } from '../core/instance-lock.ts';
import type { Logger } from '../core/log.ts';
import { topicsForRole } from '../core/monitor/topics.ts';
import { createRulesHolder, type RulesHolder } from '../core/rules/rules-holder.ts';
import { createOrderChecksHolder } from '../core/rules/order-checks-holder.ts';
import {
  createMonitorService,
  type MonitorService,
  type ServerChoice,
  type ServiceOptions,
} from '../core/service.ts';
import type { SecretStore } from '../core/auth/index.ts';
import { MEMORY_RETURNED_LOG, startHeapReturn, type ReturnReport } from '../lib/heap-return.ts';
import { startLocalDemo, type LocalDemo } from '../local/local-demo.ts';
import type { HostEvent, HostInfo } from '../shared/api.ts';
import { LOCAL_DEMO_MODE, type AppMode, type ConfiguredServer, type LocalDemoMode } from './mode.ts';
import { createSmartSignIn } from './sign-in.ts';
import { demoWardRegistration, wardKeyFor, wardWorkstation, type WardPlan } from './ward-workstation.ts';

type Notifier = ServiceOptions['notifier'];
type LaunchAtLogin = NonNullable<NonNullable<ServiceOptions['alerting']>['launchAtLogin']>;

/** What only the host has. Everything else the composition root builds. */
export interface HostParts {
  /** Where monitor.sqlite, the lock and (in local-demo mode) the demo server's database live. */
  dataDir: string;
  host: HostInfo;
  logger: Logger;
  /**
   * The critical-value rules file the host ships (resources/ or the packaged app); a deployment
   * configuration's `rulesFile` takes its place.
   */
  rulesPath: string;
  /** `publish` pushes a host event to the renderer (in-page notification, notification click). */
  createNotifier(publish: (event: HostEvent) => void): Notifier;
  /**
   * Where refresh tokens may be kept at rest (Electron safeStorage). Only a durable store belongs here:
   * with one the next start resumes the session silently; without, tokens stay in memory.
   */
  secretStore?: SecretStore;
  launchAtLogin?: LaunchAtLogin;
  /** Show the authorization page (Electron: the system browser). The renderer gets the URL either way. */
  openAuthorizationUrl?(url: string, server: ServerChoice): Promise<void>;
}

export interface RunningApp {
  service: MonitorService;
  /** The embedded demo server's FHIR base in local-demo mode; null when no embedded server runs. */
  localDemoFhirBase: string | null;
  /** Stops the rules watch, then closes the service, the demo and the lock, in that order. Idempotent. */
  close(): Promise<void>;
}

/** Start the app. Throws InstanceLockedError when another process runs on this data directory. */
export async function startApp(parts: HostParts, mode: AppMode = LOCAL_DEMO_MODE): Promise<RunningApp> {
  const releaseLock = acquireInstanceLock(parts.dataDir);
  let demo: LocalDemo | null = null;
  try {
    // A bad rules file stops the start with its message: a monitor without rules must not look alive.
    const rules = createRulesHolder(mode.rulesFile ?? parts.rulesPath);
    // The order-checks file ships beside the rules file; a bad one stops the start the same way.
    const orderChecks = createOrderChecksHolder(
      mode.pharmacy?.orderChecksFile ?? join(dirname(parts.rulesPath), 'order-checks.json'),
    );
    // The ward key is read (or, for the demo, made) before anything listens: a bad key stops the start.
    const ward = await wardPlan(parts, mode);
    if (mode.kind === 'local-demo') demo = await startDemo(parts, mode, ward);
    // The service can notify while it is still being built (a critical overdue at start escalates at
    // once), before there is a service to publish through; nobody listens yet then, so nothing is lost.
    const publishTo: { service: MonitorService | null } = { service: null };
    const service = createMonitorService({
      ...serviceOptions(parts, mode, demo, rules, ward),
      pharmacy: { checks: orderChecks, ...pharmacyTargets(mode) },
      notifier: parts.createNotifier((event) => publishTo.service?.publish(event)),
    });
    publishTo.service = service;
    const stopWatchingRules = watchRules(rules, parts.logger);
    const stopWatchingChecks = orderChecks.watch((status) => {
      if (status.lastError) parts.logger.warn({ err: status.lastError }, 'order-checks file refused');
      else parts.logger.info({ checks: status.checkCount }, 'order checks reloaded');
    });
    const stopReturningMemory = startHeapReturn((report) => logMemoryReturned(parts.logger, report));
    const running = demo;
    let closing: Promise<void> | null = null;
    return {
      service,
      localDemoFhirBase: running?.server.fhirBase ?? null,
      close: () =>
        (closing ??= closeInOrder([
          stopWatchingRules,
          stopWatchingChecks,
          stopReturningMemory,
          () => service.close(),
          () => running?.close(),
          releaseLock,
        ])),
    };
  } catch (error) {
    await demo?.close().catch((closeError: unknown) => {
      parts.logger.error({ err: String(closeError) }, 'the local demo did not close after a failed start');
    });
    releaseLock();
    throw error;
  }
}

function startDemo(parts: HostParts, mode: LocalDemoMode, ward: WardPlan | null): Promise<LocalDemo> {
  return startLocalDemo({
    dataDir: parts.dataDir,
    logger: parts.logger,
    port: mode.port,
    accessTokenTtlSeconds: mode.accessTokenTtlSeconds,
    simulationRate: mode.simulationRate,
    simulationStart: mode.simulationStart,
    prescriberAnswerMinutes: mode.prescriberAnswerMinutes,
    // The local demo registers the ward identity, so a ward workstation runs against it as it would
    // against a hospital server where IT registered it.
    ...(ward ? { backendClients: [demoWardRegistration(ward)] } : {}),
  });
}

/** A ward workstation's identity and key, or null on a personal workstation. */
async function wardPlan(parts: HostParts, mode: AppMode): Promise<WardPlan | null> {
  if (mode.workstation?.kind !== 'ward') return null;
  const { identity } = mode.workstation;
  if (mode.kind === 'servers' && mode.servers.length === 0)
    throw new Error('a ward workstation needs the server its ward is watched on');
  if (!identity.privateKeyFile && mode.kind !== 'local-demo')
    throw new Error("a ward workstation needs the ward identity's private key file");
  return { identity, key: await wardKeyFor(identity, parts.dataDir) };
}

/** Where sign-in goes when the user names no server: the demo, else the deployment's first server. */
function defaultServer(mode: AppMode, demo: LocalDemo | null): ConfiguredServer | null {
  if (demo) return demo.choice;
  return mode.kind === 'servers' ? (mode.servers[0] ?? null) : null;
}

function serviceOptions(
  parts: HostParts,
  mode: AppMode,
  demo: LocalDemo | null,
  rules: RulesHolder,
  ward: WardPlan | null,
): Omit<ServiceOptions, 'notifier'> {
  const auth = createSmartSignIn({ logger: parts.logger, secretStore: parts.secretStore });
  const openAuthorizationUrl = parts.openAuthorizationUrl;
  const home = defaultServer(mode, demo);
  const escalation = mode.escalation ?? {};
  // The demo shows escalation to people out of the box; a hospital names its own policy (or none).
  const policy =
    escalation.policy !== undefined
      ? escalation.policy
      : mode.kind === 'local-demo'
        ? DEMO_ESCALATION_POLICY
        : null;
  const ackTimeoutMinutes = policy?.steps[0]?.afterMinutes ?? escalation.ackTimeoutMinutes;
  return {
    dataDir: parts.dataDir,
    host: parts.host,
    logger: parts.logger.child({ component: 'monitor' }),
    defaultServer: home,
    configuredServers: mode.kind === 'servers' ? mode.servers : [],
    signIn: (server, context) => auth.signIn(server, context),
    // Resuming needs a refresh token kept from the previous run, so only a durable store offers it.
    ...(parts.secretStore ? { resume: (server: ServerChoice) => auth.resume(server) } : {}),
    ...(openAuthorizationUrl ? { openUrl: (url, server) => openAuthorizationUrl(url, server) } : {}),
    topicsFor: (_session, server) => topicsForRole(server.role),
    ...(demo ? { onSubscribed: (role) => demo.kick(ward?.identity.ward, role) } : {}),
    rules,
    ...(mode.privacyDefault !== undefined ? { privacyMode: mode.privacyDefault } : {}),
    ...(mode.readBackHours !== undefined ? { readBackHours: mode.readBackHours } : {}),
    alerting: {
      ...(ackTimeoutMinutes !== undefined ? { ackTimeoutMinutes } : {}),
      escalationPolicy: policy,
      ...(escalation.targetMinutes !== undefined ? { targetMinutes: escalation.targetMinutes } : {}),
      ...(escalation.repeatMinutes !== undefined ? { repeatMinutes: escalation.repeatMinutes } : {}),
      ...(parts.launchAtLogin ? { launchAtLogin: parts.launchAtLogin } : {}),
    },
    ...(ward && home ? { workstation: wardWorkstation(ward, home, parts.logger) } : {}),
  };
}

/** The deployment's verification targets, where it sets any (docs/pharmacy.md). */
function pharmacyTargets(mode: AppMode): { targets?: { stat?: number; urgent?: number; routine?: number } } {
  const minutes = mode.pharmacy?.targetMinutes;
  return minutes ? { targets: minutes } : {};
}

function watchRules(rules: RulesHolder, logger: Logger): () => void {
  return rules.watch((status) => {
    if (status.lastError) logger.warn({ err: status.lastError }, 'rules file refused');
    else logger.info({ thresholds: status.thresholdCount }, 'rules reloaded');
  });
}

/** After a busy period (a catch-up, a burst of traffic) the memory V8 kept was given back. */
function logMemoryReturned(logger: Logger, report: ReturnReport): void {
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  logger.info(
    {
      rssMiB: { before: mib(report.before.rss), after: mib(report.after.rss) },
      heapMiB: { before: mib(report.before.heapTotal), after: mib(report.after.heapTotal) },
      pauseMs: Math.round(report.pauseMs),
    },
    MEMORY_RETURNED_LOG,
  );
}

/** Runs every step even when one fails (the lock must go even if the database did not close). */
async function closeInOrder(steps: Array<() => unknown>): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'the app did not close cleanly');
}
