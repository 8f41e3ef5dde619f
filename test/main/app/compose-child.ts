// A second process holding a composition on the data directory given as the first argument (servers
// mode, nothing configured: no embedded server, quick to start). Prints `ready <pid>` once started and
// closes cleanly on SIGTERM; a failed start prints its error and exits 3.
import { resolve } from 'node:path';
import { startApp } from '../../../src-main/app/compose.ts';
import { createBrowserNotifier } from '../../../src-main/browser-host/notifier.ts';
import { silentLogger } from '../../../src-main/core/log.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: compose-child.ts <data-dir>');

try {
  const app = await startApp(
    {
      dataDir,
      host: { kind: 'browser', version: 'test', osNotifications: false },
      logger: silentLogger(),
      rulesPath: resolve(import.meta.dirname, '../../../resources/rules/critical-values.json'),
      createNotifier: (publish) => createBrowserNotifier(publish),
    },
    { kind: 'servers', servers: [] },
  );
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
  process.stdout.write(`ready ${process.pid}\n`);
} catch (error) {
  process.stdout.write(`failed ${String(error)}\n`);
  process.exit(3);
}
