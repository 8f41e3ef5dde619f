// Starts the local demo exactly as `npm start` does (browser host, no build, no browser opening) in
// its own data directory. A launch link works once, so `launchUrl` reads a fresh one from the 0600
// launch file the host keeps in the data directory (what a user's browser opener is given).
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
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = resolve(import.meta.dirname, '..', '..');

/** The one-time link the launch file carries now. */
function linkIn(launchFile: string): string {
  const link = /url=(\S+?)">/.exec(readFileSync(launchFile, 'utf8'))?.[1];
  if (!link) throw new Error(`no launch link in ${launchFile}`);
  return link;
}

export async function startDemo(
  options: { dataDir?: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv; open?: boolean } = {},
): Promise<DemoProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'alert-monitor-e2e-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'scripts/start.ts',
      '--browser',
      '--no-build',
      ...(options.open ? [] : ['--no-open']),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...(options.extraArgs ?? []),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const origin = /Alert Monitor \(browser host\): (\S+)/.exec(output)?.[1];
    const launchFile = /Launch file: (\S+)/.exec(output)?.[1];
    const fhir = /Embedded FHIR server: (\S+)/.exec(output)?.[1];
    if (origin && launchFile && fhir) {
      return {
        get launchUrl() {
          return linkIn(launchFile);
        },
        origin,
        launchFile,
        fhirBase: fhir,
        dataDir,
        output: () => output,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`demo exited early (${child.exitCode}):\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`demo did not print its launch URL within 30 s:\n${output}`);
}
