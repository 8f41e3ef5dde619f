// Waiting on the app under test through its own API: every topic of a role subscribed (live, or stopped
// because Medplum cannot offer it), and an alert for a result. A subscription list that is all live is
// not enough: subscriptions are set up one after another, and a record written before a topic's
// subscription exists never reaches it.
import type { RunningApp } from '../../src-main/app/compose.ts';
import { topicsForRole } from '../../src-main/core/monitor/topics.ts';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { untilAsync } from './checks.ts';

/** Every topic of `role` has a subscription that is live, or stopped with its reason. */
export async function everyTopicUp(app: RunningApp, role: 'nurse' | 'pharmacist'): Promise<void> {
  const wanted = topicsForRole(role).map((t) => t.topic);
  let state = '';
  await untilAsync(
    `every ${role} topic subscribed`,
    async () => {
      const subscriptions = (await app.service.handlers.getHealth({})).subscriptions;
      state = subscriptions.map((s) => `${s.topic.split('/').pop() ?? ''}: ${s.connection}`).join(', ');
      return wanted.every((topic) =>
        subscriptions.some(
          (s) => s.topic === topic && (s.connection === 'live' || s.connection === 'stopped'),
        ),
      );
    },
    60_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)} (${state || 'no subscription'})`);
  });
}

/** The alert for `focus`, once the app lists it. */
export async function alertOn(app: RunningApp, focus: string): Promise<AlertSummary> {
  let found: AlertSummary | undefined;
  await untilAsync('the alert', async () => {
    found = (await app.service.handlers.listAlerts({ limit: 200 })).find((a) => a.focus === focus);
    return found !== undefined;
  });
  return found as AlertSummary;
}
