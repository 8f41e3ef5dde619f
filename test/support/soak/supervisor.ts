// The two processes a soak run supervises: the soak server (restarted on the same port and database
// after a kill -9) and the headless monitor (restarted on the same store after a kill -9, and by a
// supervisor's restart when it exits on its own: sign-in failed, server down, gave up).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { killHard, stopGently, waitForLine } from './processes.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const NODE = process.execPath;

/** Where a soak run keeps its files. */
export interface SoakPaths {
  serverDb: string;
  monitorDb: string;
  jsonl: string;
  serverLog: string;
  monitorLog: string;
  /** The backend client's key files: `<keyPrefix>.private.jwk.json`, `<keyPrefix>.registration.json`. */
  keyPrefix: string;
}

export interface SupervisorConfig {
  paths: SoakPaths;
  clientId: string;
  serverPort: number;
  /** The fault proxy's origin: what the server calls itself and where the monitor connects. */
  publicOrigin: string;
  tokenTtlSeconds: number;
  heartbeatSeconds: number;
  seed: number;
  log: (line: string) => void;
}

export interface Supervisor {
  config: SupervisorConfig;
  server: ChildProcess | null;
  monitor: ChildProcess | null;
  /** False while the soak stops the monitor on purpose: its exit is then not restarted. */
  monitorWanted: boolean;
  serverStarts: number;
  monitorExits: number;
}

export const createSupervisor = (config: SupervisorConfig): Supervisor => ({
  config,
  server: null,
  monitor: null,
  monitorWanted: true,
  serverStarts: 0,
  monitorExits: 0,
});

/** The monitor CLI's own key generator: a backend client key pair and its registration for the server. */
export function generateMonitorKey(keyPrefix: string, clientId: string): Promise<void> {
  return new Promise<void>((r, reject) => {
    const gen = spawn(
      NODE,
      [
        'src-main/core/cli/monitor.ts',
        '--generate-key',
        keyPrefix,
        '--client-id',
        clientId,
        '--wards',
        'ward-a',
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    gen.once('exit', (code) => (code === 0 ? r() : reject(new Error(`key generation exited ${code}`))));
  });
}

export async function startServerProcess(s: Supervisor): Promise<void> {
  const { config } = s;
  s.serverStarts += 1;
  const fd = openSync(config.paths.serverLog, 'a');
  const child = spawn(
    NODE,
    [
      'test/support/soak-server.ts',
      '--port',
      String(config.serverPort),
      '--db',
      config.paths.serverDb,
      '--public-origin',
      config.publicOrigin,
      '--token-ttl',
      String(config.tokenTtlSeconds),
      '--heartbeat',
      String(config.heartbeatSeconds),
      '--backend-client',
      `${config.paths.keyPrefix}.registration.json`,
      '--seed',
      String(config.seed * 1000 + s.serverStarts),
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', fd] },
  );
  closeSync(fd);
  s.server = child;
  // Deadlines here end a broken run; a loaded machine can take many seconds to start a process.
  await waitForLine(child, /ready \S+/, 90_000);
}

/** One command to the soak server's stdin (write a burst, a critical, …), answered by an ok/error line. */
export async function serverCommand(s: Supervisor, op: object): Promise<void> {
  const child = s.server;
  if (!child || child.exitCode !== null) return;
  const ack = waitForLine(child, /(ok|error) \S+\n/, 10_000).catch(() => undefined);
  child.stdin?.write(`${JSON.stringify(op)}\n`);
  await ack;
}

export function startMonitorProcess(s: Supervisor): void {
  const { config } = s;
  const fd = openSync(config.paths.monitorLog, 'a');
  const child = spawn(
    NODE,
    [
      'src-main/core/cli/monitor.ts',
      '--fhir',
      `${config.publicOrigin}/fhir`,
      '--client-id',
      config.clientId,
      '--key',
      `${config.paths.keyPrefix}.private.jwk.json`,
      '--db',
      config.paths.monitorDb,
      '--jsonl',
      config.paths.jsonl,
      '--heartbeat',
      String(config.heartbeatSeconds),
    ],
    { cwd: ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, LOG_LEVEL: 'debug' } },
  );
  closeSync(fd);
  s.monitor = child;
  child.once('exit', (code, signal) => onMonitorExit(s, child, code, signal));
}

function onMonitorExit(
  s: Supervisor,
  child: ChildProcess,
  code: number | null,
  signal: NodeJS.Signals | null,
): void {
  if (s.monitor !== child) return;
  s.monitor = null;
  if (signal === 'SIGKILL' || !s.monitorWanted) return;
  // Sign-in failed (server down, reset by the proxy) or the monitor gave up: a supervisor restarts it.
  s.monitorExits += 1;
  s.config.log(`monitor exited (${code ?? signal}); restarting`);
  setTimeout(() => {
    if (s.monitorWanted && s.monitor === null) startMonitorProcess(s);
  }, 300);
}

/** kill -9 of the server, then the same server again on the same port and database. */
export async function crashServer(s: Supervisor, downMs: number): Promise<void> {
  await killHard(s.server);
  await new Promise<void>((r) => setTimeout(r, downMs));
  await startServerProcess(s);
}

/** kill -9 of the monitor, then the same monitor again on the same store. */
export async function crashMonitor(s: Supervisor): Promise<void> {
  const victim = s.monitor;
  s.monitor = null;
  await killHard(victim);
  startMonitorProcess(s);
}

/** Stop the monitor on purpose: its exit is not restarted. */
export async function stopMonitor(s: Supervisor): Promise<void> {
  s.monitorWanted = false;
  const victim = s.monitor;
  s.monitor = null;
  await stopGently(victim);
}

/** A fresh monitor after `stopMonitor`, supervised again. */
export function restartMonitor(s: Supervisor): void {
  s.monitorWanted = true;
  startMonitorProcess(s);
}

/** End of the run: neither process is restarted any more. */
export async function stopAll(s: Supervisor): Promise<void> {
  s.monitorWanted = false;
  await stopGently(s.monitor);
  await stopGently(s.server);
}
