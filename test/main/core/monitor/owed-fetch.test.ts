// A critical whose claim-check read fails for a transient reason (the server unreachable for reads)
// is never left silent: it is shown as "Could not load — possibly critical", notified at once as "a
// result could not be checked", stays owed across a restart, and once read is notified with its
// content. Real embedded server behind a real loopback fault proxy that resets every read; only the
// notifier is a recorder.
import { afterEach, describe, expect, it } from 'vitest';
import { startProxiedSetup } from '../../../support/proxied-monitor.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('owed claim-check reads', () => {
  it('an unreadable critical is notified as unchecked, stays owed across a restart, then is notified with its value', async () => {
    const { server, proxy, run } = await startProxiedSetup('owed-', 3, cleanups);

    const first = await run();
    await until(() => first.monitor.health().some((h) => h.connection === 'live'), 'a live stream');
    // Every read is reset after the server answered (the stream itself is untouched).
    proxy.setPlan({ requestResetProbability: 1 });
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => first.notified.some((n) => n.kind === 'unchecked'), 'the could-not-be-checked notice');
    const notice = first.notified.find((n) => n.kind === 'unchecked');
    expect(notice?.title).toBe('A result could not be checked');
    const id = notice?.alertId ?? '';
    const owed = first.store.alerts.get(id);
    expect(owed).toMatchObject({
      tier: 'critical',
      fetch: 'error',
      headline: 'Could not load — possibly critical',
    });
    expect(owed?.fetchRetryAt).not.toBeNull();
    expect(owed?.lifecycle?.pinned).toBe(true);
    await first.stop();

    // Next start: the server is reachable again; the owed read is resumed and the real value notified.
    proxy.setPlan({ requestResetProbability: 0 });
    const second = await run();
    cleanups.push(second.stop);
    await until(
      () => second.notified.some((n) => n.alertId === id && n.kind === 'alert'),
      'the critical itself',
    );
    const read = second.store.alerts.get(id);
    expect(read).toMatchObject({ tier: 'critical', fetch: 'ok', fetchRetryAt: null });
    expect(second.notified.find((n) => n.alertId === id)?.title).toMatch(/^CRITICAL: /);
    expect(second.notified.filter((n) => n.alertId === id)).toHaveLength(1);
  }, 120_000);
});
