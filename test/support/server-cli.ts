// The embedded server's standalone CLI (`src-main/server/cli.ts`) in a child process, as an operator
// starts it: ready when it prints its FHIR base URL. The caller ends the child (and awaits `exited`).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface ServerCli {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>/fhir` as the CLI printed it. */
  fhirBase: string;
  /** The same without `/fhir`: where the SMART endpoints are. */
  origin: string;
  exited: Promise<number | null>;
}

const ROOT = join(import.meta.dirname, '..', '..');

export async function startServerCli(args: readonly string[], timeoutMs = 60_000): Promise<ServerCli> {
  const child = spawn(process.execPath, ['src-main/server/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const fhirBase = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /FHIR base URL:\s+(\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then((code) =>
        reject(new Error(`the server cli exited (${String(code)}) before it was ready`)),
      );
      setTimeout(() => reject(new Error('the server cli did not start')), timeoutMs);
    });
    return { child, fhirBase, origin: fhirBase.replace(/\/fhir$/, ''), exited };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
