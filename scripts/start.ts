// `npm start`: build, then run the app in Electron when its runtime is installed, otherwise in the
// browser host (same renderer, same API) on 127.0.0.1. What runs is the deployment configuration's
// choice (`--config <file>`, ALERT_MONITOR_CONFIG, or the system-wide file; docs/deployment.md), and
// with none the zero-config local demo. A bad configuration is shown (terminal, log, error page) and
// nothing else starts: never a silent fall-back to the demo.
//
// Flags (README.md, "Quick start"): --browser, --no-build, --no-open, --port N (or ALERT_MONITOR_PORT),
// --data-dir DIR, --config FILE, --sim-rate N, --sim-start HH:MM (UTC, or an ISO instant),
// --prescriber-delay MINUTES (simulated; `never`), --token-ttl SECONDS; environment: BROWSER (`none` opens nothing, any other value is the command that
// opens the launch file, as in other tools' dev servers), LOG_LEVEL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadDeployment } from '../src-main/app/config.ts';
import type { AppMode } from '../src-main/app/mode.ts';
import { serveErrorPage } from '../src-main/browser-host/error-page.ts';
import { openInBrowser, openerCommand } from '../src-main/browser-host/open-browser.ts';
import { runBrowserHost } from '../src-main/browser-host/run.ts';
import { InstanceLockedError } from '../src-main/core/instance-lock.ts';
import { createLogger } from '../src-main/core/log.ts';
import { DatabaseFileError } from '../src-main/lib/sqlite.ts';

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
    'prescriber-delay': { type: 'string' },
    config: { type: 'string' },
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
// How long the simulated attending takes to answer the pharmacist: simulated minutes, or never.
const prescriberDelay =
  values['prescriber-delay'] === 'never'
    ? null
    : wholeNumber('--prescriber-delay (or "never")', values['prescriber-delay'], 0, 10_080);

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
 * How the launch file is opened: not at all with --no-open or BROWSER=none, with the BROWSER command
 * when one is named, else with the desktop's opener where a display exists.
 */
function browserOpener(env: NodeJS.ProcessEnv, noOpen: boolean): { command: string | null; why: string } {
  const browser = env['BROWSER']?.trim();
  if (noOpen) return { command: null, why: '--no-open' };
  if (browser && browser.toLowerCase() === 'none') return { command: null, why: 'BROWSER=none' };
  if (browser) return { command: browser, why: 'BROWSER' };
  if (!env['DISPLAY'] && !env['WAYLAND_DISPLAY']) return { command: null, why: 'no display' };
  return { command: openerCommand(), why: 'a display exists' };
}

/** The Electron binary exists only where its download ran (path.txt written by its installer). */
export function electronBinary(): string | null {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

/** The configured mode; with no configuration, the local demo with this command line's demo flags. */
function deployment(): AppMode {
  const mode = loadDeployment({ argv: values.config ? ['--config', values.config] : [], env: process.env });
  if (mode.kind !== 'local-demo' || mode.source) return mode;
  return {
    kind: 'local-demo',
    accessTokenTtlSeconds: tokenTtl,
    simulationRate: simRate,
    simulationStart: simStart,
    prescriberAnswerMinutes: prescriberDelay,
  };
}

const hasDisplay = Boolean(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']);
const logger = createLogger('alert-monitor', process.env['LOG_LEVEL'] ?? 'warn');

/** Say why nothing started, where the user looks, and keep saying it until stopped. */
async function showStartError(title: string, error: ConfigError | DatabaseFileError): Promise<void> {
  logger.error({ err: error.message }, `${title}; nothing started`);
  console.error(`Alert Monitor could not start: ${error.message}`);
  const errorPage = await serveErrorPage({ port, title, message: error.message });
  const kind = error instanceof ConfigError ? 'configuration' : 'database';
  console.error(`Alert Monitor ${kind} error page: ${errorPage.origin}/`);
  if (hasDisplay && !values['no-open']) openInBrowser(`${errorPage.origin}/`);
  const stop = () => void errorPage.close().then(() => process.exit(2));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function runInBrowserHost(mode: AppMode): Promise<void> {
  const dataDir =
    values['data-dir'] ??
    join(process.env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'fhir-alert-monitor');
  try {
    const host = await runBrowserHost({
      dataDir,
      port,
      logger,
      rendererDir: join(root, 'out', 'renderer'),
      mode,
    });
    // The launch link is a secret: it is kept in a 0600 file, never printed or put on a command line.
    console.log(`Alert Monitor (browser host): ${host.origin}`);
    console.log(
      `Launch file: ${host.launchFile} (open it in a browser; it always holds a fresh one-time link)`,
    );
    if (host.localDemoFhirBase) console.log(`Embedded FHIR server: ${host.localDemoFhirBase}`);
    const opener = browserOpener(process.env, values['no-open']);
    if (opener.command) openInBrowser(host.launchFile, opener.command);
    else console.log(`Not opening a browser (${opener.why}): open the launch file above.`);
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
    if (error instanceof DatabaseFileError)
      return showStartError('The workstation database cannot be used', error);
    console.error(error instanceof InstanceLockedError ? error.message : `Could not start: ${String(error)}`);
    process.exit(1);
  }
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
  // Electron reads the same configuration itself (src-main/shell/main.ts) and shows its errors.
  const child = spawn(binary, [root, ...(values.config ? ['--config', resolve(values.config)] : [])], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!values.browser) {
    console.log('Electron runtime not installed (offline install) — starting the browser host instead.');
  }
  let mode: AppMode | null = null;
  try {
    mode = deployment();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await showStartError('The deployment configuration is invalid', error);
  }
  if (mode) await runInBrowserHost(mode);
}
