// `npm start`: build, then run the app (the local demo unless told otherwise) in Electron when its
// runtime is installed, otherwise in the browser host (same renderer, same API) on 127.0.0.1.
//
// Flags (README.md, "Quick start"): --browser, --no-build, --no-open, --port N (or ALERT_MONITOR_PORT),
// --data-dir DIR, --sim-rate N, --sim-start HH:MM (UTC, or an ISO instant), --token-ttl SECONDS; environment: BROWSER (`none` opens nothing, any
// other value is the command that opens the link, as in other tools' dev servers), LOG_LEVEL.
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
    'sim-start': { type: 'string' },
  },
});

const root = resolve(import.meta.dirname, '..');

/** A whole number within bounds, or a clear error naming the flag (never a NaN passed on). */
function wholeNumber(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${flag} must be a whole number from ${min} to ${max} (got "${text}").`);
    process.exit(2);
  }
  return value;
}

const port = wholeNumber('--port / ALERT_MONITOR_PORT', values.port, 0, 65535) ?? 5170;
const tokenTtl = wholeNumber('--token-ttl', values['token-ttl'], 10, 86_400);
const simRate = wholeNumber('--sim-rate', values['sim-rate'], 0, 100_000);
const simStart = simulatedStart(values['sim-start']);

/** `--sim-start`: "05:00" (today, UTC: the simulator's ward day runs on UTC hours) or an ISO instant. */
function simulatedStart(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const clock = /^(\d{1,2}):(\d{2})$/.exec(text);
  const today = new Date();
  const at = clock
    ? Date.UTC(
        today.getUTCFullYear(),
        today.getUTCMonth(),
        today.getUTCDate(),
        Number(clock[1]),
        Number(clock[2]),
      )
    : Date.parse(text);
  if (Number.isNaN(at) || (clock && (Number(clock[1]) > 23 || Number(clock[2]) > 59))) {
    console.error(`--sim-start must be HH:MM (UTC) or an ISO date-time (got "${text}").`);
    process.exit(2);
  }
  return at;
}

/**
 * How the launch link is opened: not at all with --no-open or BROWSER=none, with the BROWSER command
 * when one is named, else with xdg-open where a display exists.
 */
function browserOpener(env: NodeJS.ProcessEnv, noOpen: boolean): { command: string | null; why: string } {
  const browser = env['BROWSER']?.trim();
  if (noOpen) return { command: null, why: '--no-open' };
  if (browser && browser.toLowerCase() === 'none') return { command: null, why: 'BROWSER=none' };
  if (browser) return { command: browser, why: 'BROWSER' };
  if (!env['DISPLAY'] && !env['WAYLAND_DISPLAY']) return { command: null, why: 'no display' };
  return { command: 'xdg-open', why: 'a display exists' };
}

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
      port,
      logger,
      rendererDir: join(root, 'out', 'renderer'),
      mode: {
        kind: 'local-demo',
        accessTokenTtlSeconds: tokenTtl,
        simulationRate: simRate,
        simulationStart: simStart,
      },
    });
    console.log(`Alert Monitor (browser host): ${host.launchUrl}`);
    if (host.localDemoFhirBase) console.log(`Embedded FHIR server: ${host.localDemoFhirBase}`);
    const opener = browserOpener(process.env, values['no-open']);
    if (opener.command) {
      spawn(opener.command, [host.launchUrl], { stdio: 'ignore', detached: true })
        .on('error', (error) =>
          console.error(`Could not open a browser (${opener.command}): ${error.message}`),
        )
        .unref();
    } else {
      console.log(`Not opening a browser (${opener.why}): open the link above.`);
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
