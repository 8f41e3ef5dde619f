// A real embedded server behind a real loopback fault proxy (fault-proxy.ts), and a monitor over a
// SQLite file that can be started, stopped and started again on the same file. Only the notifier is a
// recorder: the test double for the OS notification daemon. Used by the monitor tests that need to
// shape what the network does to reads (test/main/core/monitor/).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src-main/core/log.ts';
import { createMonitor, type Monitor } from '../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../src-main/core/monitor/topics.ts';
import type { AlertNotification } from '../../src-main/core/ports.ts';
import { createRulesHolder } from '../../src-main/core/rules/rules-holder.ts';
import { openClientStore, type ClientStore } from '../../src-main/core/store/client-store.ts';
import { startServer, type RunningServer } from '../../src-main/server/server.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { freePort } from './free-port.ts';
import { issuedSession } from './issued-session.ts';

const rules = createRulesHolder(join(import.meta.dirname, '../../resources/rules/critical-values.json'));

export interface RunningMonitor {
  store: ClientStore;
  notified: AlertNotification[];
  monitor: Monitor;
  stop(): Promise<void>;
}

export interface ProxiedSetup {
  server: RunningServer;
  proxy: FaultProxy;
  /** Start a monitor on the critical-lab topic over the same SQLite file as every earlier run. */
  run(): Promise<RunningMonitor>;
}

/** The server (publicly reached through the proxy) and a monitor factory; `cleanups` closes them. */
export async function startProxiedSetup(
  prefix: string,
  seed: number,
  cleanups: Array<() => Promise<void> | void>,
): Promise<ProxiedSetup> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const serverPort = await freePort();
  const proxy = await startFaultProxy({ upstreamPort: serverPort, seed });
  cleanups.push(() => proxy.close());
  const server = await startServer({
    port: serverPort,
    dbPath: join(dir, 'server.sqlite'),
    publicOrigin: proxy.origin,
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
  });
  cleanups.push(() => server.close().catch(() => undefined));
  const storePath = join(dir, 'monitor.sqlite');
  const session = issuedSession(server);
  const run = async (): Promise<RunningMonitor> => {
    const store = openClientStore(storePath);
    const notified: AlertNotification[] = [];
    const monitor = createMonitor({
      store,
      session,
      notifier: { notify: async (n) => void notified.push(n) },
      topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5 }],
      emit: () => undefined,
      onHealthChange: () => undefined,
      logger: silentLogger(),
      rules,
      channelBackoff: { baseMs: 100, capMs: 1000 },
    });
    await monitor.start();
    const stop = async () => {
      await monitor.stop();
      store.close();
    };
    return { store, notified, monitor, stop };
  };
  return { server, proxy, run };
}
