// `npm run interop:medplum`: the project's real composition (src-main/app/compose.ts `startApp`, servers
// mode, as both hosts start it) against a running Medplum, end to end. Not part of `npm test`: Medplum
// needs PostgreSQL, Redis and minutes of set-up (docs/interop.md says how, and what to expect).
//
//   MEDPLUM_BASE_URL        default http://127.0.0.1:8103 (the server, not its FHIR base)
//   MEDPLUM_ADMIN_EMAIL     default admin@example.com (Medplum's documented default administrator)
//   MEDPLUM_ADMIN_PASSWORD  default medplum_admin
//   INTEROP_REDIRECT_PORT   default 47113 (the loopback port registered as the client's redirect URI)
//   LOG_LEVEL               the app's log level (default error; warn shows each recovery step)
//
// It registers what it needs through Medplum's API (scripts/interop/medplum-admin.ts), signs the nurse
// in through the app's loopback listener with the user's step done headlessly, then checks the nurse's
// own workstation (scripts/interop/nurse.ts: the subscription, a critical → alert → notification
// exactly once, a later normal result told by its final report, a dropped socket, a restart, an
// acknowledgment and a resolution written back once, an updated and a deleted result), a first
// sign-in elsewhere reading back the open criticals (scripts/interop/read-back.ts) and a
// pharmacist's decisions (scripts/interop/decisions.ts); then, on workstations with a fast escalation
// policy, the escalation chain and two workstations sharing one critical; then the pharmacist's own
// workstation and a shared ward workstation (scripts/interop/). It prints `N passed, N failed` and the
// latencies; exit 1 on a failure, 2 when no Medplum answers. The recording notifier
// (scripts/interop/launch.ts) is the test double for the OS notification daemon.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySecretStore } from '../src-main/core/auth/index.ts';
import { Report, untilAsync } from './interop/checks.ts';
import { checkTwoWorkstations } from './interop/across-workstations.ts';
import { checkDecisions } from './interop/decisions.ts';
import {
  checkEscalation,
  checkRestartMidEscalation,
  FAST_ESCALATION,
  holdRole,
  SLOW_ESCALATION,
} from './interop/escalation.ts';
import { launch, type Recorded, signedIn } from './interop/launch.ts';
import { PROJECT_NAME, provision } from './interop/medplum-admin.ts';
import {
  checkAcknowledgment,
  checkCleanUp,
  checkCritical,
  checkDroppedSocket,
  checkLaterResult,
  checkRestart,
  checkSignIn,
  checkSubscription,
  checkUpdateAndDelete,
  type Run,
} from './interop/nurse.ts';
import { checkPharmacist, pharmacistRole } from './interop/pharmacist.ts';
import { checkReadBack } from './interop/read-back.ts';
import { signInLab } from './interop/lab.ts';
import { origin, reachable, redirectUri } from './interop/target.ts';
import { checkWardWorkstation, serveWardKey, WARD, type WardKeyServer } from './interop/ward.ts';

/**
 * The escalation chain on a workstation with a fast policy (scripts/interop/escalation.ts), then two
 * such workstations sharing one critical (scripts/interop/across-workstations.ts).
 */
async function escalationChecks(run: Run, nurse: string | null): Promise<void> {
  if (!nurse) {
    await run.report.check('the escalation chain', () => Promise.reject(new Error('no nurse signed in')));
    return;
  }
  const roleRef = await holdRole(run.lab, nurse);
  // One secret store per workstation, kept across its restarts as Electron's safeStorage keeps it: a
  // restarted workstation resumes its session.
  const secrets = new Map<string, MemorySecretStore>();
  const escalating = async (name: string, user = run.who.nurse, readingBack = false) => {
    const dir = join(run.dataDir, name);
    const store = secrets.get(name) ?? new MemorySecretStore();
    secrets.set(name, store);
    const app = await launch(dir, run.notified, store, run.who, {
      // The earlier checks leave open criticals in the project; read back into a new workstation with
      // the fast policy, they would escalate with the chain's one critical as one notification for them
      // all (a storm). The read-back has its own check (scripts/interop/read-back.ts); the workstation
      // that reads back a step under way waits an hour before its own clock would ask anything.
      policy: readingBack ? SLOW_ESCALATION : FAST_ESCALATION,
      user: () => user,
      readBackHours: readingBack ? 12 : 0,
    });
    await app.service.handlers.signIn({ role: 'nurse' });
    await untilAsync(`${name} signed in`, () => signedIn(app), 60_000);
    return app;
  };
  const chain = {
    report: run.report,
    lab: run.lab,
    patient: run.patients[1],
    notified: run.notified,
    launch: () => escalating('escalating'),
  };
  await checkEscalation(chain, roleRef);
  await checkRestartMidEscalation(chain);
  await checkTwoWorkstations({
    report: run.report,
    lab: run.lab,
    patient: run.patients[2],
    launch: escalating,
    launchReadingBack: (name) => escalating(name, run.who.nurse, true),
    notified: run.notified,
    colleague: run.who.colleague,
  });
}

/** The pharmacist's own sign-in, worklist, review and decisions (scripts/interop/pharmacist.ts). */
async function pharmacistChecks(run: Run): Promise<void> {
  await pharmacistRole(run.lab);
  await checkPharmacist({
    report: run.report,
    lab: run.lab,
    patient: run.patients[3],
    notified: run.notified,
    focusOf: (app, alertId) => app.service.store.alerts.get(alertId)?.focus ?? null,
    launch: async (workstation) => {
      const dir = join(run.dataDir, workstation);
      const app = await launch(dir, run.notified, new MemorySecretStore(), run.who, {
        user: () => run.who.pharmacist,
      });
      await app.service.handlers.signIn({ role: 'pharmacist' });
      await untilAsync('the pharmacist signed in', () => signedIn(app), 60_000);
      return app;
    },
  });
}

/** A shared ward workstation: its backend sign-in, the locked screen, two nurses signing in at it. */
async function wardChecks(run: Run, key: WardKeyServer): Promise<void> {
  const family = 'Ember';
  const patient = await run.lab.patient(family, WARD);
  const otherWardPatient = await run.lab.patient('Fallow', 'ward-b');
  let signingIn = run.who.nurse;
  await checkWardWorkstation({
    report: run.report,
    lab: run.lab,
    patient,
    otherWardPatient,
    family,
    launch: () =>
      launch(join(run.dataDir, 'ward'), run.notified, new MemorySecretStore(), run.who, {
        ward: { clientId: run.who.wardClientId, keyFile: key.keyFile },
        user: () => signingIn,
      }),
    signIn: async (app, who) => {
      signingIn = who === 'ward-b-nurse' ? run.who.wardBNurse : run.who.nurse;
      await app.service.handlers.signIn({ role: 'nurse' });
      await untilAsync(`the ${who} signed in at the ward screen`, () => signedIn(app), 60_000);
    },
  });
}

async function main(): Promise<number> {
  console.log(`Medplum interop run against ${origin}`);
  const down = await reachable();
  if (down) {
    console.error(`No Medplum answers: ${down}.\nStart one (docs/interop.md) or set MEDPLUM_BASE_URL.`);
    return 2;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'interop-medplum-'));
  const wardKey = await serveWardKey(dataDir);
  const who = await provision(
    {
      origin,
      adminEmail: process.env['MEDPLUM_ADMIN_EMAIL'] ?? 'admin@example.com',
      adminPassword: process.env['MEDPLUM_ADMIN_PASSWORD'] ?? 'medplum_admin',
    },
    redirectUri,
    wardKey.jwksUri,
  );
  console.log(
    `Registered on Medplum: project "${PROJECT_NAME}", ClientApplication ${who.clientId}, ${redirectUri}\n`,
  );
  const lab = await signInLab(origin, who.lab, PROJECT_NAME);
  const families = ['Ardent', 'Birch', 'Cedar', 'Dune'];
  const patients = (await Promise.all(families.map((family) => lab.patient(family)))) as Run['patients'];
  const notified: Recorded[] = [];
  const secrets = new MemorySecretStore();
  const run: Run = {
    report: new Report(),
    lab,
    who,
    patients,
    dataDir,
    notified,
    secrets,
    app: await launch(dataDir, notified, secrets, who),
    first: '',
    during: [],
  };
  try {
    await checkSignIn(run);
    if (run.report.failed > 0) {
      console.log('  (the remaining checks need a signed-in app: not run)');
      run.report.print();
      return 1;
    }
    await checkSubscription(run);
    await checkCritical(run);
    await checkLaterResult(run);
    await checkDroppedSocket(run);
    await checkRestart(run);
    await checkAcknowledgment(run);
    await checkReadBack(run);
    await checkDecisions(run);
    await checkUpdateAndDelete(run);
    const nurse = (await run.app.service.handlers.getSession({})).user?.fhirUser ?? null;
    await checkCleanUp(run);
    await escalationChecks(run, nurse);
    await pharmacistChecks(run);
    await wardChecks(run, wardKey);
  } finally {
    await run.app.close().catch(() => undefined);
    await wardKey.close();
  }
  run.report.print();
  return run.report.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`interop run aborted: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
