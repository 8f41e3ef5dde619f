// Shared pieces of the client-core benchmarks: timing, statistics,
// printing and the machine line. Figures only — nothing here asserts a time.
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ServerCommand, ServerReply } from './client-server-child.ts';

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

export function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')} ev/s`;
}

/** Nearest-rank percentile of an unsorted sample (sorted copy). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function verdict(ok: boolean): string {
  return ok ? 'MEETS target' : 'MISSES target';
}

/** `--name=value` from argv, else the fallback. */
export function numberArg(name: string, fallback: number): number {
  const prefix = `--${name}=`;
  const raw = process.argv.find((a) => a.startsWith(prefix));
  const value = raw ? Number(raw.slice(prefix.length)) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export interface ServerChild {
  origin: string;
  fhirBase: string;
  dir: string;
  call(command: ServerCommand): Promise<ServerReply>;
  stop(): Promise<void>;
}

/** The embedded server in a child process (its own event loop; both share the 2 cores). */
export async function startServerChild(): Promise<ServerChild> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-client-'));
  const child = fork(join(import.meta.dirname, 'client-server-child.ts'), [join(dir, 'server.sqlite')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: ((reply: ServerReply) => void)[] = [];
  child.on('message', (raw: unknown) => waiting.shift()?.(raw as ServerReply));
  const first = await new Promise<ServerReply>((resolve, reject) => {
    waiting.push(resolve);
    child.once('exit', (code) => reject(new Error(`server child exited ${String(code)}`)));
  });
  if (!first.ok || !first.origin || !first.fhirBase) throw new Error(`server child: ${first.error ?? '?'}`);
  const call = (command: ServerCommand): Promise<ServerReply> =>
    new Promise<ServerReply>((resolve, reject) => {
      waiting.push((reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error ?? 'child error'))));
      child.send(command);
    });
  return {
    origin: first.origin,
    fhirBase: first.fhirBase,
    dir,
    call,
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'exit' });
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
