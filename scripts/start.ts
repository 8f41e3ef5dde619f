// `npm start`: build, then run the app (the local demo unless told otherwise) in Electron when its
// runtime is installed, otherwise in the browser host (same renderer, same API) on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBrowserHost } from '../src-main/browser-host/run.ts';
import { InstanceLockedError } from '../src-main/core/instance-lock.ts';
import { createLogger } from '../src-main/core/log.ts';

const { values } = parseArgs({
  options: {
    browser: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-open': { type: 'boolean', default: false },
    port: { type: 'string', default: process.env['ALERT_MONITOR_PORT'] ?? '5170' },
    'data-dir': { type: 'string' },
    'token-ttl': { type: 'string' },
    'sim-rate': { type: 'string' },
  },
});

const root = resolve(import.meta.dirname, '..');

/** The Electron binary exists only where its download ran (path.txt written by its installer). */
export function electronBinary(): string | null {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

if (!values['no-build']) {
  const build = spawnSync(join(root, 'node_modules', '.bin', 'electron-vite'), ['build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) {
    console.error('Build failed (see above).');
    process.exit(1);
  }
}

const binary = values.browser ? null : electronBinary();
if (binary) {
  const child = spawn(binary, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!values.browser) {
    console.log('Electron runtime not installed (offline install) — starting the browser host instead.');
  }
  const dataDir =
    values['data-dir'] ??
    join(process.env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'fhir-alert-monitor');
  const logger = createLogger('alert-monitor', process.env['LOG_LEVEL'] ?? 'warn');
  try {
    const host = await runBrowserHost({
      dataDir,
      port: Number(values.port),
      logger,
      rendererDir: join(root, 'out', 'renderer'),
      mode: {
        kind: 'local-demo',
        accessTokenTtlSeconds: values['token-ttl'] ? Number(values['token-ttl']) : undefined,
        simulationRate: values['sim-rate'] ? Number(values['sim-rate']) : undefined,
      },
    });
    console.log(`Alert Monitor (browser host): ${host.launchUrl}`);
    if (host.localDemoFhirBase) console.log(`Embedded FHIR server: ${host.localDemoFhirBase}`);
    const hasDisplay = Boolean(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']);
    if (hasDisplay && !values['no-open']) {
      spawn('xdg-open', [host.launchUrl], { stdio: 'ignore', detached: true })
        .on('error', () => undefined)
        .unref();
    }
    const shutdown = () => {
      host.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`Shutdown was not clean: ${String(error)}`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  } catch (error) {
    console.error(error instanceof InstanceLockedError ? error.message : `Could not start: ${String(error)}`);
    process.exit(1);
  }
}
