// Starts the local demo exactly as `npm start` does (browser host, no build, no browser opening) in
// its own data directory, and reads the launch URL it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DemoProcess {
  launchUrl: string;
  fhirBase: string;
  dataDir: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = resolve(import.meta.dirname, '..', '..');

export async function startDemo(
  options: { dataDir?: string; extraArgs?: string[] } = {},
): Promise<DemoProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'alert-monitor-e2e-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'scripts/start.ts',
      '--browser',
      '--no-build',
      '--no-open',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...(options.extraArgs ?? []),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const launch = /Alert Monitor \(browser host\): (\S+)/.exec(output)?.[1];
    const fhir = /Embedded FHIR server: (\S+)/.exec(output)?.[1];
    if (launch && fhir) {
      return {
        launchUrl: launch,
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
