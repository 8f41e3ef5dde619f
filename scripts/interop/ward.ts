// A shared ward workstation against Medplum (docs/deployment.md, "Ward workstation"): the ward identity
// is a backend client of the interop project whose public key Medplum fetches from a JWKS URL this run
// serves (private_key_jwt); its private key is a 0600 file, as a hospital's IT would install it. With
// nobody signed in the ward identity keeps the subscriptions: a critical on Ward A (its patient and
// result tagged `ward-a`) is on the locked ward screen with her bed but without a name or a value, one
// on Ward B is not. A Ward B nurse, whom
// a Medplum AccessPolicy limits to results tagged Ward B, signs in at that screen: the critical is not
// listed for her and every action on it is refused with the server's reason. A Ward A nurse signs in:
// she sees it in full and acknowledges it, and Medplum holds her acknowledgment.
//
// The ward client's own membership is under a Ward A AccessPolicy (patients and results tagged
// `ward-a`): a Ward B critical written just before never reaches the Ward A screen.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { RunningApp } from '../../src-main/app/compose.ts';
import { ACKNOWLEDGMENT_IDENTIFIER } from '../../src-main/core/alerting/loop-resources.ts';
import { writePrivateFile } from '../../src-main/lib/private-files.ts';
import type { AlertSummary, LockedWardView } from '../../src-main/shared/api.ts';
import { expectThat, type Report, untilAsync } from './checks.ts';
import { everyTopicUp } from './app-waits.ts';
import type { Lab } from './lab.ts';

export const WARD = 'ward-a';
/** Where the Ward A patient lies: her encounter's location, which the locked screen shows. */
const BED = 'Ward A bed 4';

export interface WardKeyServer {
  /** Where Medplum fetches the ward identity's public key. */
  jwksUri: string;
  /** The private key file the workstation's configuration names. */
  keyFile: string;
  close(): Promise<void>;
}

/** Make the ward identity's key pair, keep the private half in a 0600 file, serve the public half. */
export async function serveWardKey(dir: string): Promise<WardKeyServer> {
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `interop-${WARD}-${Date.now().toString(36)}`;
  const keyFile = join(dir, 'ward-identity.private.jwk.json');
  writePrivateFile(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES384' }));
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }] });
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    jwksUri: `http://127.0.0.1:${port}/jwks.json`,
    keyFile,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface WardRun {
  report: Report;
  lab: Lab;
  /** A Ward A patient (tagged `ward-a`). */
  patient: string;
  /** A Ward B patient (tagged `ward-b`), whose critical the Ward A client may not see. */
  otherWardPatient: string;
  /** The patient's family name, which the locked screen must not show. */
  family: string;
  /** Start the ward workstation on its own data directory (nobody signed in). */
  launch(): Promise<RunningApp>;
  /** A nurse signs in at the workstation (the loopback sign-in, her step done headlessly). */
  signIn(app: RunningApp, who: 'ward-a-nurse' | 'ward-b-nurse'): Promise<void>;
}

export async function checkWardWorkstation(run: WardRun): Promise<void> {
  const app = await run.launch();
  try {
    let focus = '';
    await run.report.check(
      'a ward workstation signs in as its backend client (private_key_jwt) and shows its ward’s critical with nobody signed in, with the bed and without a name; another ward’s never arrives',
      async () => {
        let watching = '';
        await untilAsync(
          'the ward watched',
          async () => {
            const view = await app.service.handlers.getLockedWard({});
            const subscriptions = (await app.service.handlers.getHealth({})).subscriptions;
            watching = `${view?.degraded ?? 'watched'}; ${subscriptions.map((s) => `${s.topic.split('/').pop() ?? ''}: ${s.connection}`).join(', ')}`;
            return view?.degraded === null && subscriptions.some((s) => s.connection === 'live');
          },
          60_000,
        ).catch((error: unknown) => {
          throw new Error(`${String(error)} (${watching})`);
        });
        await everyTopicUp(app, 'nurse');
        const session = await app.service.handlers.getSession({});
        expectThat(session.state !== 'signed-in', `a person is signed in (${session.state})`);
        // Ward B's critical first, then Ward A's, on the same stream: once Ward A's is stored, Ward B's
        // would have been too had Medplum sent it to the Ward A client.
        const elsewhere = (await run.lab.potassium(run.otherWardPatient, 7.2, { ward: 'ward-b' })).reference;
        const stay = await run.lab.admission(run.patient, BED, WARD);
        focus = (await run.lab.potassium(run.patient, 6.9, { ward: WARD, encounter: stay })).reference;
        let shown = '';
        let count = 0;
        await untilAsync(
          'the critical on the locked screen',
          async () => {
            const view: LockedWardView | null = await app.service.handlers.getLockedWard({});
            shown = JSON.stringify(view);
            count = view?.alerts.length ?? 0;
            return view?.alerts.some((a) => a.tier === 'critical') === true;
          },
          60_000,
        );
        expectThat(!shown.includes(run.family), 'the locked screen names the patient');
        // Where to go, from the result's encounter on Medplum.
        expectThat(shown.includes(BED), `the locked screen does not say ${BED}: ${shown}`);
        expectThat(!shown.includes('6.9'), 'the locked screen shows the value');
        const stored = app.service.store.alerts.list(50);
        expectThat(
          stored.filter((a) => a.focus === focus).length === 1,
          `${stored.filter((a) => a.focus === focus).length} alerts stored for the critical`,
        );
        expectThat(
          !stored.some((a) => a.focus === elsewhere),
          'Ward B’s critical reached the Ward A workstation',
        );
        return `${count} on the locked screen of ${WARD} (${BED}), no name, no value; Ward B’s never arrived`;
      },
    );
    await run.report.check(
      'a Ward B nurse at the Ward A screen: Ward A’s critical is not listed for her, and acting on it is refused by Medplum’s AccessPolicy',
      async () => {
        expectThat(focus !== '', 'no critical (the previous check failed)');
        const alertId = app.service.store.alerts.list(50).find((a) => a.focus === focus)?.id ?? '';
        await run.signIn(app, 'ward-b-nurse');
        const listed = await app.service.handlers.listAlerts({ limit: 200 });
        expectThat(!listed.some((a) => a.focus === focus), 'Ward A’s critical is listed for her');
        const refusals: string[] = [];
        for (const act of [
          () => app.service.handlers.markSeen({ alertId }),
          () => app.service.handlers.acknowledge({ alertId }),
        ])
          refusals.push(
            await act().then(
              () => 'done',
              (error: unknown) => (error instanceof Error ? error.message : String(error)),
            ),
          );
        expectThat(
          refusals.every((r) => r.startsWith('Not permitted')),
          `her actions: ${refusals.join('; ')}`,
        );
        await app.service.handlers.signOut({});
        const still = await app.service.handlers.getLockedWard({});
        expectThat(
          still?.alerts.some((a) => a.id === alertId) === true,
          'the critical left the locked screen after her refused actions',
        );
        const stored = app.service.store.alerts.get(alertId);
        expectThat(stored?.lifecycle?.seenBy === null, `marked seen by ${stored?.lifecycle?.seenBy ?? ''}`);
        return refusals[0] ?? '';
      },
    );
    await run.report.check(
      'a Ward A nurse signs in at the ward screen: the critical is there in full for her, and her acknowledgment is on Medplum',
      async () => {
        expectThat(focus !== '', 'no critical (the previous check failed)');
        await run.signIn(app, 'ward-a-nurse');
        let mine: AlertSummary | undefined;
        await untilAsync('the critical in her feed, with the patient named', async () => {
          mine = (await app.service.handlers.listAlerts({ limit: 200 })).find((a) => a.focus === focus);
          return mine?.patient?.name?.includes(run.family) === true;
        });
        const alertId = mine?.id ?? '';
        await app.service.handlers.markSeen({ alertId });
        const patient = mine?.patient?.reference;
        await app.service.handlers.acknowledge({ alertId, ...(patient ? { patient } : {}) });
        const acknowledgments = () => run.lab.byIdentifier('Communication', ACKNOWLEDGMENT_IDENTIFIER, focus);
        await untilAsync(
          'her acknowledgment on Medplum',
          async () => (await acknowledgments()).length > 0,
          30_000,
        );
        const records = await acknowledgments();
        const session = await app.service.handlers.getSession({});
        const sender = (records[0]?.['sender'] as { reference?: string } | undefined)?.reference;
        expectThat(records.length === 1, `${records.length} acknowledgment records`);
        expectThat(sender === session.user?.fhirUser, `sent by ${sender ?? 'nobody'}, not the nurse`);
        return `${mine?.patient?.name ?? ''}: Communication/${String(records[0]?.['id'])} by ${sender ?? ''}`;
      },
    );
  } finally {
    await app.close();
  }
}
