// A first sign-in on a workstation new to the nurse reads back the open criticals written before it
// (src-main/core/monitor/read-back.ts) from Medplum: a search of the results of the hours before, the
// acknowledgment records searched by identifier (Medplum assigns its own ids). The result acknowledged
// and resolved by the earlier check is left out; an open one is read back, once.
import { join } from 'node:path';
import { MemorySecretStore } from '../../src-main/core/auth/index.ts';
import { expectThat, until, untilAsync } from './checks.ts';
import { alertsFor, criticalHealth, launch, type Recorded, signedIn } from './launch.ts';
import type { Run } from './nurse.ts';

export async function checkReadBack(run: Run): Promise<void> {
  await run.report.check(
    'a first sign-in on another workstation reads back the open critical, not the acknowledged one',
    async () => {
      const open = run.first;
      const closed = run.during[0] ?? '';
      // Its own notification list: what it raises is not the nurse's workstation's count.
      const notified: Recorded[] = [];
      const app = await launch(join(run.dataDir, 'read-back'), notified, new MemorySecretStore(), run.who);
      try {
        await app.service.handlers.signIn({ role: 'nurse' });
        await untilAsync('signed in on the new workstation', () => signedIn(app), 60_000);
        await untilAsync(
          'the read-back done',
          async () => Boolean((await criticalHealth(app))?.readBackFrom),
          60_000,
        );
        await until('the open critical read back and classified', () =>
          alertsFor(app, open).some((a) => a.tier === 'critical'),
        );
        expectThat(alertsFor(app, open).length === 1, `${alertsFor(app, open).length} alerts for ${open}`);
        expectThat(alertsFor(app, closed).length === 0, `the acknowledged ${closed} was read back`);
        const from = (await criticalHealth(app))?.readBackFrom ?? '';
        return `read back from ${from}: ${open} open; ${closed} left out`;
      } finally {
        await app.close();
      }
    },
  );
}
