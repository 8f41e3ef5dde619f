// Child process of the crash test: runs the monitor against the parent's embedded server and kills
// itself with SIGKILL at the instant named by CRASH_AT: 'after-commit' (the event, its alert row and the
// cursor are durable; nothing fetched or notified yet) or 'in-notify' (the notification was claimed and
// is being shown). The notifier appends to NOTIFY_LOG so the parent can count deliveries.
import { appendFileSync } from 'node:fs';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor } from '../../../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} missing`);
  return value;
};
const crashAt = env('CRASH_AT');
const store = openClientStore(env('CLIENT_DB'));
const token = env('ACCESS_TOKEN');
const monitor = createMonitor({
  store,
  session: {
    fhirBase: env('FHIR_BASE'),
    fhirUser: 'Practitioner/nurse-a',
    accessToken: async () => token,
    tokenExpiresAt: () => Date.now() + 3_600_000,
    refreshNow: async () => undefined,
  },
  notifier: {
    notify: async (n) => {
      if (crashAt === 'in-notify') process.kill(process.pid, 'SIGKILL');
      appendFileSync(env('NOTIFY_LOG'), `${n.alertId}\n`);
    },
  },
  topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5 }],
  emit: () => undefined,
  onHealthChange: () => undefined,
  logger: silentLogger(),
  rules: createRulesHolder(env('RULES')),
  onAccepted: () => {
    if (crashAt === 'after-commit') process.kill(process.pid, 'SIGKILL');
  },
});
await monitor.start();
// Ready once the stream is live (the parent's trigger then arrives as a live event), polled rather
// than assumed after a fixed delay.
while (monitor.health()[0]?.connection !== 'live') await new Promise((r) => setTimeout(r, 25));
process.stdout.write('ready\n');
