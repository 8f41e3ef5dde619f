// Starts the local demo exactly as `npm start` does (browser host, no build, by default no browser
// opening) in its own data directory. A launch link works once, so `launchUrl` reads a fresh one from
// the 0600 launch file the host keeps in the data directory (what a user's browser opener is given).
// With `desktop`, the demo runs inside its own X display and D-Bus session beside a real notification
// daemon (dunst), so a test can read what the OS notification service received (desktop-session.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DemoProcess {
  /** A launch link nobody has used yet (each read may give a new one). */
  readonly launchUrl: string;
  /** The host's origin (no secret). */
  origin: string;
  launchFile: string;
  fhirBase: string;
  dataDir: string;
  /** The demo's session bus (with `desktop`), for dunstctl. */
  busAddress: string | null;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface DemoOptions {
  dataDir?: string;
  extraArgs?: string[];
  /** Leave out --no-open (the start script then decides whether to open a browser). */
  open?: boolean;
  /** Extra environment for the start script (e.g. BROWSER, DISPLAY, PATH). */
  env?: Record<string, string>;
  /** Run inside `xvfb-run dbus-run-session` with dunst (Debian: xvfb dbus dunst libnotify-bin). */
  desktop?: boolean;
  /** False for a configuration that starts no embedded server (its FHIR base is then ''). */
  embeddedServer?: boolean;
}

const root = resolve(import.meta.dirname, '..', '..');

/** The one-time link the launch file carries now. */
function linkIn(launchFile: string): string {
  const link = /url=(\S+?)">/.exec(readFileSync(launchFile, 'utf8'))?.[1];
  if (!link) throw new Error(`no launch link in ${launchFile}`);
  return link;
}

function spawnDemo(args: string[], options: DemoOptions): ChildProcess {
  const env = { ...process.env, LOG_LEVEL: 'warn', ...options.env };
  if (!options.desktop)
    return spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `dunst >/dev/null 2>&1 & echo "SESSION BUS: $DBUS_SESSION_BUS_ADDRESS"; ${quoted}`;
  // Its own process group, so stop() ends Xvfb, the bus and dunst with the demo.
  return spawn('xvfb-run', ['-a', 'dbus-run-session', '--', 'sh', '-c', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, DBUS_SESSION_BUS_ADDRESS: '' },
    detached: true,
  });
}

export async function startDemo(options: DemoOptions = {}): Promise<DemoProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'alert-monitor-e2e-'));
  const args = [
    'scripts/start.ts',
    '--browser',
    '--no-build',
    ...(options.open ? [] : ['--no-open']),
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...(options.extraArgs ?? []),
  ];
  const child = spawnDemo(args, options);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null) return;
    if (options.desktop && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  };

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const origin = /Alert Monitor \(browser host\): (\S+)/.exec(output)?.[1];
    const launchFile = /Launch file: (\S+)/.exec(output)?.[1];
    const fhir = /Embedded FHIR server: (\S+)/.exec(output)?.[1];
    if (origin && launchFile && (fhir || options.embeddedServer === false)) {
      return {
        get launchUrl() {
          return linkIn(launchFile);
        },
        origin,
        launchFile,
        fhirBase: fhir ?? '',
        dataDir,
        busAddress: /SESSION BUS: (\S+)/.exec(output)?.[1] ?? null,
        output: () => output,
        stop: async (signal = 'SIGTERM') => {
          kill(signal);
          return exited;
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`demo exited early (${child.exitCode}):\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  kill('SIGKILL');
  throw new Error(`demo did not print its launch URL within 30 s:\n${output}`);
}
