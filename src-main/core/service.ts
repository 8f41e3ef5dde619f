// The host-side implementation of the MonitorApi, shared by the Electron shell and the browser host.
// Hosts only move validated calls and pushed events across their transport; everything else is here.
//
// Every call that returns or changes patient data answers for the signed-in user only
// (workstation/access-policy.ts): nobody signed in, no patient data from any call or push. A personal
// workstation's monitor runs under the user's own session and stops (its subscriptions stay active on
// the server) when she signs out; a ward workstation's runs under the ward identity
// (workstation/ward-watch.ts) whoever is at the screen (docs/architecture.md, "Workstation modes").
import type { HostEvent, MonitorHandlers, SessionInfo } from '../shared/api.ts';
import { humanName } from '../shared/fhir-json.ts';
import { ensurePrivateDir } from '../lib/private-files.ts';
import { join } from 'node:path';
import { accessFor, readResource } from './fhir/fhir-client.ts';
import { createMonitor, type Monitor } from './monitor/monitor.ts';
import type { MonitorSession, TopicRequest } from './ports.ts';
import { openClientStore } from './store/client-store.ts';
import { ownerKey } from './store/owners.ts';
import { openPreferences } from './preferences.ts';
import { pruneStore } from './store/retention.ts';
import { createViewHandlers } from './views.ts';
import { createAlerting } from './alerting/alerting.ts';
import { withdrawingNotifications } from './alerting/notification-withdrawal.ts';
import type { StepIssuer } from './alerting/escalation-steps.ts';
import type { AlertSummary } from '../shared/api.ts';
import { interpretationOnlyRules } from './rules/rules-holder.ts';
import { createAccessPolicy, viewerOwner } from './workstation/access-policy.ts';
import { absentPresence, healthOf, sessionInfoOf, type Presence } from './presence.ts';
import { lastSessionFile } from './workstation/last-session.ts';
import { lockedWardView } from './workstation/locked-view.ts';
import { signInTarget } from './workstation/sign-in-target.ts';
import { throttled } from '../lib/throttle.ts';
import { coalescedAlertPushes } from './workstation/alert-pushes.ts';
import { createWardWatch, type WardSession, type WardWatch } from './workstation/ward-watch.ts';
import { readIdentityRoles } from './identity-role.ts';
import { MEDICATION_ORDER_TOPIC, ORDER_VERIFICATION_TOPIC } from './monitor/topics.ts';
import { createPharmacy } from './pharmacy/pharmacy.ts';
import { emptyOrderChecks } from './rules/order-checks-holder.ts';
import { createVerificationStore } from './store/verification-store.ts';
import type { MonitorService, ServerChoice, ServiceOptions, SignedInSession } from './service-types.ts';

export type {
  MonitorService,
  ServerChoice,
  ServiceOptions,
  SignedInSession,
  SignInContext,
  WardWorkstation,
} from './service-types.ts';

const HEALTH_PUSH_MS = 250;
const PRUNE_EVERY_MS = 6 * 60 * 60_000;
/** A first watch reads back one long shift: the open criticals a nurse taking over must see. */
const DEFAULT_READ_BACK_HOURS = 12;
export function createMonitorService(options: ServiceOptions): MonitorService {
  ensurePrivateDir(options.dataDir);
  const { ackTimeoutMinutes = 10, targetMinutes = 30, ...alertingOptions } = options.alerting ?? {};
  const store = openClientStore(join(options.dataDir, 'monitor.sqlite'), {
    lifecycle: { ackTimeoutMs: ackTimeoutMinutes * 60_000, targetMs: targetMinutes * 60_000 },
  });
  const listeners = new Set<(event: HostEvent) => void>();
  const log = options.logger;
  // One notifier for the monitors and the closed loop: a notification for several criticals is taken
  // back once the last of them is acknowledged, wherever that happens; one raised before this start
  // too, and at once when its alerts were closed while the host was down.
  const withdrawal = withdrawingNotifications(options.notifier, store.raisedNotifications);
  const notifier = withdrawal.notifier;
  withdrawal
    .settleEarlier((alertId) => store.alerts.isOpen(alertId))
    .catch((error: unknown) =>
      log.warn({ err: String(error) }, 'notifications raised before this start could not be taken back'),
    );
  // Privacy mode's default is preferences.ts's (on); only a deployment that says so turns it off.
  const preferences = openPreferences(options.dataDir, {
    ...(options.privacyMode !== undefined ? { privacyMode: options.privacyMode } : {}),
    notifyHigh: options.interruptTiers?.includes('high') ?? false,
  });
  const prune = () => log.info(pruneStore(store), 'store pruned by the retention policy');
  prune();
  const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
  pruneTimer.unref();

  const ward = options.workstation?.kind === 'ward' ? options.workstation : null;
  const wardOwner = ward ? ownerKey(ward.server.fhirBase, ward.principal) : null;
  const me: Presence = absentPresence();
  const policy = createAccessPolicy({
    alerts: store.alerts,
    kind: ward ? 'ward' : 'personal',
    wardOwner,
    viewer: () => me.viewer,
  });
  // A ward screen with nobody signed in shows no value and no name, whatever the preference says.
  const isPrivate = () => preferences.get().privacyMode || (ward !== null && me.viewer === null);
  const lastSession = lastSessionFile(options.dataDir);

  const emitRaw = (event: HostEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: String(error) }, 'event listener failed');
      }
    }
  };
  /** An alert changed: shown only to a signed-in user who may see it, and always as its latest state. */
  const pushAlert = (alertId: string) => {
    void policy.mayShow(alertId).then((shown) => {
      const latest = shown && !me.closed ? store.alerts.get(alertId) : null;
      if (!latest) return;
      // An order arrived: the worklist is stale. A decision is a closed-loop record, no alert (rows an
      // earlier version stored for one are never pushed).
      if (latest.topic === MEDICATION_ORDER_TOPIC) emitRaw({ type: 'worklist', orders: [latest.focus] });
      if (latest.topic !== ORDER_VERIFICATION_TOPIC)
        emitRaw({ type: 'alert', alert: alerting.decorate(latest) });
    });
  };
  // A catch-up's hundreds of changes in one batch are one push that carries nothing: a signed-in page
  // reads its feed again, through the access checks of any listing (workstation/alert-pushes.ts).
  const alertPushes = coalescedAlertPushes({
    one: pushAlert,
    burst: () => {
      if (!me.closed && me.viewer) emitRaw({ type: 'feed-changed' });
    },
  });
  const deliverAlert = (alertId: string) => {
    lockedPush.request();
    if (me.viewer && !ward && me.signedInAt !== null) sessionPush.request(); // the catch-up count
    if (me.closed) return;
    alertPushes.request(alertId);
  };
  // Any alert change may change the tray/badge counts: follow it with an `alerting` status push.
  const emit = (event: HostEvent) => {
    if (event.type !== 'alert') return emitRaw(event);
    deliverAlert(event.alert.id);
    alerting.pushStatus();
  };
  /**
   * Who writes an alert's next escalation step from here: the ward identity for the ward's alerts (it
   * watches whoever is signed in), else the signed-in user for her own; null: another workstation will.
   */
  const wardSessionNow: { get(): WardSession | null } = { get: () => null }; // set once the watch exists
  const issuerFor = (alert: AlertSummary): StepIssuer | null => {
    const owner = store.alerts.ownerOf(alert.id);
    const wardSession = wardSessionNow.get();
    if (ward && wardSession && owner === wardOwner)
      return {
        access: accessFor(wardSession),
        requester: `Alert Monitor, ${ward.ward} workstation`,
        ward: ward.ward,
      };
    const viewer = me.viewer;
    if (!ward && viewer && owner === viewer.owner)
      return {
        access: viewer.access,
        requester: `Alert Monitor of ${viewer.display ?? viewer.fhirUser ?? 'a user'}`,
        ward: null,
      };
    return null;
  };
  const alerting = createAlerting({
    store,
    notifier,
    logger: log.child({ component: 'alerting' }),
    emit: (event) => (event.type === 'alert' ? deliverAlert(event.alert.id) : emitRaw(event)),
    exportDir: join(options.dataDir, 'exports'),
    privacyMode: isPrivate,
    ...alertingOptions,
    rules: options.rules ?? interpretationOnlyRules(),
    access: () => ({ ...policy.access, issuer: issuerFor, wardScreen: ward !== null }),
  });
  alerting.start();

  const pharmacy = createPharmacy({
    decisions: createVerificationStore(store.db),
    checks: options.pharmacy?.checks ?? emptyOrderChecks(),
    ...(options.pharmacy?.targets ? { targets: options.pharmacy.targets } : {}),
    session: () =>
      me.viewer && me.session
        ? {
            fhirBase: me.viewer.fhirBase,
            fhirUser: me.viewer.fhirUser,
            access: me.viewer.access,
            owner: me.viewer.owner,
            role: me.role,
          }
        : null,
    logger: log.child({ component: 'pharmacy' }),
    onWorklistChange: (orders) => emitRaw({ type: 'worklist', orders }),
    // Decided here: its alerts close at once, as they do on other workstations when the Task arrives.
    closeDecidedAlerts: (fhirBase, decided) =>
      store.alerts.sharing.closeDecidedOrder(fhirBase, decided, true, Date.now()),
    onDecided: (order, closed) => alerting.onLoopChange({ kind: 'order-decided', order, changed: closed }),
  });

  const sessionInfo = (): SessionInfo =>
    sessionInfoOf(me, { ward, defaultServer: options.defaultServer, alerts: store.alerts });
  const healthSnapshot = () => healthOf(me, ward && wardWatch ? { ward: ward.ward, watch: wardWatch } : null);
  const lockedView = () =>
    ward && wardOwner ? lockedWardView(store.alerts, wardOwner, ward.ward, healthSnapshot().degraded) : null;
  const pushSession = () => emitRaw({ type: 'session', session: sessionInfo() });
  // Pushes coalesce; none runs once the service is closing (the store may already be closed).
  const sessionPush = throttled(() => me.closed || pushSession(), HEALTH_PUSH_MS);
  const healthPush = throttled(() => {
    if (me.closed) return;
    emitRaw({ type: 'health', health: healthSnapshot() });
    lockedPush.request();
  }, HEALTH_PUSH_MS);
  // Final lab reports arrived (a burst of them during a catch-up is one push); only a signed-in user's
  // screen shows results.
  const resultsPush = throttled(() => {
    if (!me.closed && me.viewer) emitRaw({ type: 'results' });
  }, HEALTH_PUSH_MS);
  const lockedPush = throttled(() => {
    const view = me.closed ? null : lockedView();
    if (view) emitRaw({ type: 'locked-ward', view });
  }, HEALTH_PUSH_MS);

  /** The monitor for a session: the user's own (personal) or the ward identity's. */
  const openMonitor = (
    session: MonitorSession,
    owner: string | null,
    topics: TopicRequest[],
    server: Pick<ServerChoice, 'streamOrigins'>,
  ): Monitor =>
    createMonitor({
      store,
      session,
      owner,
      notifier,
      topics,
      emit,
      onHealthChange: healthPush.request,
      logger: log,
      privacyMode: isPrivate,
      // A pharmacist is interrupted by stat orders (tier high; her subscription carries no other order).
      interruptTiers: () =>
        preferences.get().notifyHigh || me.role === 'pharmacist' ? ['critical', 'high'] : ['critical'],
      allowedStreamOrigins: server.streamOrigins ?? [],
      ...(options.rules ? { rules: options.rules } : {}),
      onClosedLoop: (change) => {
        alerting.onLoopChange(change);
        // A decision made anywhere: the order leaves every pharmacist's worklist; an answer from the
        // prescriber brings a held one back.
        if ((change.kind === 'order-decided' || change.kind === 'order-answered') && !me.closed)
          emitRaw({ type: 'worklist', orders: [change.order] });
      },
      onResultNews: resultsPush.request,
      readBackHours: options.readBackHours ?? DEFAULT_READ_BACK_HOURS,
    });

  const wardWatch: WardWatch | null = ward
    ? createWardWatch({
        signIn: () => ward.signIn(),
        openMonitor: (session) => openMonitor(session, ward.principal, ward.topics, ward.server),
        logger: log.child({ component: 'ward-watch' }),
        onChange: healthPush.request,
        // The ward's own session watches the ward's results for its nurses.
        ...(options.onSubscribed ? { onSubscribed: () => options.onSubscribed?.('nurse') } : {}),
        ...(ward.retryMs !== undefined ? { retryMs: ward.retryMs } : {}),
      })
    : null;
  wardSessionNow.get = () => wardWatch?.session() ?? null;
  wardWatch?.start();

  /** The person at the screen is gone (signed out, expired, failed): her view of patient data ends. */
  async function endSession(why: string | null) {
    const ending = me.session;
    const viewer = me.viewer;
    me.session = null;
    me.viewer = null;
    me.signedInAt = null;
    me.role = null;
    policy.reset();
    alerting.setSession(null);
    me.reason = why;
    // Her subscriptions stay active on the server: what arrives meanwhile is caught up at her return.
    await me.monitor?.stop();
    me.monitor = null;
    if (viewer && !ward) store.alerts.recordSignOut(viewer.owner, Date.now());
    if (ending)
      await ending
        .signOut()
        .catch((error: unknown) => log.warn({ err: String(error) }, 'sign-out at the server failed'));
    pushSession();
    healthPush.request();
    lockedPush.request();
  }

  async function completeSignIn(
    choice: ServerChoice,
    obtain: () => Promise<SignedInSession | null>,
  ): Promise<void> {
    try {
      const signed = await obtain();
      if (!signed) {
        me.signingIn = false;
        me.reason = 'Your previous sign-in has expired: sign in again.';
        lastSession.forget();
        pushSession();
        return;
      }
      // A shared ward screen never resumes a person's session after a restart.
      if (!ward) lastSession.remember(choice);
      // Who signed in, before the session counts as signed in: the UI never shows "unknown user".
      const who = signed.fhirUser ? await readResource(accessFor(signed), signed.fhirUser) : null;
      me.userDisplay = who?.resource ? humanName(who.resource['name']) : null;
      const identity = await readIdentityRoles(accessFor(signed), signed.fhirUser);
      // Without her roles she has no role-based view and no escalation step reaches her: say why.
      if (identity.unread)
        log.warn({ reason: identity.unread }, 'could not read the signed-in person’s roles');
      me.role = identity.role;
      me.session = signed;
      me.viewer = {
        fhirBase: signed.fhirBase,
        fhirUser: signed.fhirUser,
        access: accessFor(signed),
        owner: viewerOwner(signed),
        display: me.userDisplay,
        practitionerRoles: identity.practitionerRoles,
      };
      me.signedInAt = Date.now();
      me.signingIn = false;
      me.authorizationUrl = null;
      me.lostSession = null;
      policy.reset();
      signed.onChange((change) => {
        if (me.session !== signed) return;
        if (change.state === 'signed-out') {
          me.lostSession = change.reason ?? 'signed out';
          void endSession(change.reason ?? 'signed out');
        } else healthPush.request(); // renewal started failing or recovered
      });
      alerting.setSession(me.viewer);
      // Her topics follow her role from the identity; the sign-in's role was only a scope hint.
      const topics = options.topicsFor(signed, { ...choice, role: me.role ?? choice.role });
      if (!ward) me.monitor = openMonitor(signed, signed.fhirUser, topics, choice);
      void pharmacy.pump();
      pushSession();
      healthPush.request();
      if (me.monitor) {
        await me.monitor.start();
        options.onSubscribed?.(me.role);
      }
    } catch (error) {
      me.signingIn = false;
      me.authorizationUrl = null;
      // Closing the app while sign-in was still subscribing is not a failed sign-in: keep the tokens
      // (and the stored refresh token) so the next start can resume.
      if (me.closed) return;
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ err: message }, 'sign-in or subscription failed');
      await endSession(`Sign-in failed: ${message}`);
    }
  }

  const previous = options.resume && !ward ? lastSession.read() : null;
  if (previous && options.resume) {
    const resume = options.resume;
    me.server = previous;
    me.signingIn = true;
    void completeSignIn(previous, () => resume(previous));
  }

  const handlers: MonitorHandlers = {
    getHostInfo: async () => options.host,
    getSession: async () => sessionInfo(),
    getHealth: async () => healthSnapshot(),
    getLockedWard: async () => lockedView(),

    async signIn(args) {
      if (me.session || me.signingIn) return sessionInfo();
      const base = signInTarget(args, {
        defaultServer: options.defaultServer,
        configuredServers: options.configuredServers ?? [],
        wardServer: ward?.server ?? null,
      });
      if (typeof base === 'string') {
        me.reason = base;
        return sessionInfo();
      }
      const choice: ServerChoice = {
        ...base,
        role: args.role ?? 'any',
        ...(args.redirectPort ? { redirectPort: args.redirectPort } : {}),
        ...(args.scopes ? { scopes: args.scopes } : {}),
      };
      me.server = choice;
      me.signingIn = true;
      me.authorizationUrl = null;
      me.reason = null;
      pushSession();
      // Return as soon as the user has something to do (the authorization URL) or the flow ended; the
      // rest of the flow completes in the background and is pushed as a session event.
      let urlReady: () => void = () => undefined;
      const waitingForUser = new Promise<void>((resolve) => (urlReady = resolve));
      const openUrl = async (url: string) => {
        me.authorizationUrl = url;
        urlReady();
        pushSession();
        await options.openUrl?.(url, choice);
      };
      const flow = completeSignIn(choice, () => options.signIn(choice, { openUrl }));
      await Promise.race([waitingForUser, flow]);
      return sessionInfo();
    },

    async signOut() {
      lastSession.forget();
      await endSession('You signed out.');
      return sessionInfo();
    },

    // Verification decisions keep worklists in step; they are not alerts (docs/pharmacy.md). Earlier
    // versions stored their events as alerts: such rows stay out of the list.
    listAlerts: async ({ limit, before }) =>
      (await policy.list(limit, before))
        .filter((alert) => alert.topic !== ORDER_VERIFICATION_TOPIC)
        .map(alerting.decorate),

    async getResource({ reference }) {
      if (!me.viewer)
        return { reference, status: 'forbidden', resource: null, message: 'Sign in to see records.' };
      return readResource(me.viewer.access, reference);
    },

    // The closed loop: markSeen, acknowledge (+ write-back), resolveAlert, escalation status,
    // audit export, rules reload, write-back retry and launch-at-login live in core/alerting; each
    // action asks the access policy first.
    ...alerting.handlers,

    getPreferences: async () => preferences.get(),
    setPreferences: async (change) => preferences.set(change),

    // Renderer views: fixed, host-built searches with the signed-in user's token; the renderer never
    // names a URL.
    ...createViewHandlers(() => me.viewer?.access ?? null),

    // The pharmacist's worklist, review and decisions (core/pharmacy).
    ...pharmacy.handlers,
  };

  return {
    handlers,
    store,
    publish: emit,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      me.closed = true;
      healthPush.cancel();
      sessionPush.cancel();
      lockedPush.cancel();
      resultsPush.cancel();
      alertPushes.cancel();
      clearInterval(pruneTimer);
      await alerting.stop();
      pharmacy.stop();
      await wardWatch?.stop();
      await me.monitor?.stop();
      me.monitor = null;
      store.close();
    },
  };
}
