// Shared pieces of the client-core benchmarks: timing, statistics,
// printing and the machine line. Figures only — nothing here asserts a time.
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The machine state a figure was taken in: load averages and the busiest other processes (by CPU
 * share since they started, from `ps`), so a reader can tell an idle run from a contended one.
 */
export function machineState(): string {
  const [one, five] = loadavg();
  const ps = spawnSync('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers'], { encoding: 'utf8' });
  const busiest = (ps.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(0, 3)
    .join(', ');
  return `load average ${one?.toFixed(2)} (1 min) / ${five?.toFixed(2)} (5 min); busiest processes: ${busiest}`;
}

/** `--name=value` from argv as text, else null. */
export function textArg(name: string): string | null {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length) ?? null;
}

/** `--flag` present in argv. */
export function flagArg(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export interface BusyProcesses {
  pids: number[];
  stop(): void;
}

/**
 * `count` processes that spin on a core (the `--contended` runs: other work on the 2 cores). Each is
 * killed by its own pid at stop.
 */
export function startBusyProcesses(count: number): BusyProcesses {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
  );
  return {
    pids: children.map((c) => c.pid ?? -1),
    stop: () => {
      for (const child of children) child.kill('SIGKILL');
    },
  };
}

/** "p50 3 ms, p90 5 ms, p99 10 ms, max 36 ms (n = 6000)". */
export function distribution(sample: readonly number[], unit = 'ms', digits = 0): string {
  const f = (p: number): string => percentile(sample, p).toFixed(digits);
  return `p50 ${f(50)} ${unit}, p90 ${f(90)} ${unit}, p99 ${f(99)} ${unit}, max ${f(100)} ${unit} (n = ${sample.length})`;
}

/** The command line that produced this output, for the figures table. */
export function commandLine(script: string, skipArgs = 0): string {
  const args = process.argv.slice(2 + skipArgs).join(' ');
  return `npm run ${script}${args ? ` -- ${args}` : ''}`;
}
