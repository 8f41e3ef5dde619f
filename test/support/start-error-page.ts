// `npm start` (scripts/start.ts, browser host, no build, no browser opened) in a child process that is
// expected NOT to start: it waits for the error page the script serves instead and gives its address
// and everything printed. The caller stops it (SIGTERM) and checks the exit code.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { until } from './until.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface RefusedStart {
  /** The error page's address as printed ("… error page: http://127.0.0.1:P/"). */
  page: string;
  /** Everything the script printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

export async function startExpectingErrorPage(args: readonly string[]): Promise<RefusedStart> {
  const child = spawn(
    process.execPath,
    ['scripts/start.ts', '--browser', '--no-build', '--no-open', '--port', '0', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    child.kill('SIGTERM');
    return exited;
  };
  try {
    const page = await until(
      () => {
        if (child.exitCode !== null) throw new Error(`exited early: ${output}`);
        return /error page: (\S+)/.exec(output)?.[1];
      },
      'the error page',
      45_000,
    );
    return { page, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
