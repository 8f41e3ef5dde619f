// Shared pieces of the whole-app benchmarks (bench/app-lifecycle.ts): the browser host started exactly
// as `npm start --browser` starts it, in its own data directory, with a request probe loaded; the demo
// sign-in driven in Debian's Chromium; process figures read from /proc. Figures only, never asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';
import { MEMORY_RETURNED_LOG } from '../src-main/lib/heap-return.ts';
import { now, sleep } from './client-lib.ts';

const root = resolve(import.meta.dirname, '..');
const CLOCK_TICKS = 100;

export interface HostRequest {
  at: number;
  direction: 'in' | 'out';
  method: string;
  path: string;
}

export interface HostMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** V8's young generation as held (both semi-spaces), part of heapTotal. */
  newSpace: number;
}

/** One return of memory the host logged (src-main/lib/heap-return.ts), in MiB and ms. */
export interface MemoryReturn {
  rssBefore: number;
  rssAfter: number;
  pauseMs: number;
}

export interface Host {
  pid: number;
  origin: string;
  launchFile: string;
  spawnedAt: number;
  readyAt: number;
  requests: HostRequest[];
  /** The host's memory after a full GC in it (bench/memory-probe.ts), in MiB. */
  memory(): Promise<HostMemory>;
  /** The returns of memory the host has logged so far (only with `logReturns`). */
  memoryReturns: MemoryReturn[];
  /** A launch link nobody has used yet. */
  launchUrl(): string;
  stop(): Promise<void>;
}

export interface HostOptions {
  /** The simulator's clock at start (`--sim-start`), else the time of day. */
  simStart?: string | null;
  /** Run the host at log level info and collect its returns of memory (otherwise: warn, quiet). */
  logReturns?: boolean;
}

/** `npm start -- --browser --no-build --no-open` with a fresh data directory and the request probe. */
export async function startHost(simRate: number, options: HostOptions = {}): Promise<Host> {
  const { simStart = null, logReturns = false } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-app-'));
  const args = [
    '--expose-gc',
    '--import',
    join(root, 'bench', 'request-probe.ts'),
    '--import',
    join(root, 'bench', 'memory-probe.ts'),
    'scripts/start.ts',
    '--browser',
    '--no-build',
    '--no-open',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--sim-rate',
    String(simRate),
    ...(simStart ? ['--sim-start', simStart] : []),
  ];
  const spawnedAt = now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: logReturns ? 'info' : 'warn' },
  });
  let output = '';
  let started = false;
  const requests: HostRequest[] = [];
  const memoryWaiters: Array<(memory: HostMemory) => void> = [];
  const memoryReturns: MemoryReturn[] = [];
  let outPartial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (outPartial + chunk.toString()).split('\n');
    outPartial = lines.pop() ?? '';
    for (const line of lines) {
      const returned = line.includes(MEMORY_RETURNED_LOG) ? memoryReturnOf(line) : null;
      if (returned) memoryReturns.push(returned);
      // The start-up lines name the origin and launch file; the info-level lines after are not kept.
      else if (!started) output += `${line}\n`;
    }
  });
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const memory = /^BENCH-MEMORY (\S+) (\S+) (\S+) (\S+) (\S+)$/.exec(line);
      if (memory) {
        const [rss, heapUsed, heapTotal, external, newSpace] = memory.slice(1).map(Number);
        memoryWaiters.shift()?.({
          rss: rss ?? 0,
          heapUsed: heapUsed ?? 0,
          heapTotal: heapTotal ?? 0,
          external: external ?? 0,
          newSpace: newSpace ?? 0,
        });
        continue;
      }
      const match = /^BENCH-REQUEST (in|out) (\S+) (\S+)/.exec(line);
      if (match)
        requests.push({
          at: now(),
          direction: match[1] as 'in' | 'out',
          method: match[2] ?? '',
          path: match[3] ?? '',
        });
      else output += `${line}\n`;
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = now() + 60_000;
  while (now() < deadline) {
    const origin = /Alert Monitor \(browser host\): (\S+)/.exec(output)?.[1];
    const launchFile = /Launch file: (\S+)/.exec(output)?.[1];
    if (origin && launchFile) {
      started = true;
      return {
        pid: child.pid ?? -1,
        origin,
        launchFile,
        spawnedAt,
        readyAt: now(),
        requests,
        memoryReturns,
        memory: () =>
          new Promise<HostMemory>((resolve) => {
            memoryWaiters.push(resolve);
            child.kill('SIGUSR2');
          }),
        launchUrl: () => {
          const link = /url=(\S+?)">/.exec(readFileSync(launchFile, 'utf8'))?.[1];
          if (!link) throw new Error('no launch link');
          return link;
        },
        stop: async () => {
          child.kill('SIGTERM');
          await Promise.race([exited, sleep(10_000)]);
          if (child.exitCode === null) child.kill('SIGKILL');
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`host exited early:\n${output}`);
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`host did not start within 60 s:\n${output}`);
}

/** A logged return of memory (pino JSON: rssMiB.before/after, pauseMs), or null when it is not one. */
function memoryReturnOf(line: string): MemoryReturn | null {
  try {
    const entry = JSON.parse(line) as { rssMiB?: { before?: number; after?: number }; pauseMs?: number };
    const { before, after } = entry.rssMiB ?? {};
    if (before === undefined || after === undefined || entry.pauseMs === undefined) return null;
    return { rssBefore: before, rssAfter: after, pauseMs: entry.pauseMs };
  } catch {
    return null;
  }
}

/** The demo sign-in as the charge nurse of Ward A; returns when the page says who is signed in. */
export async function signIn(
  page: Page,
  launchUrl: string,
): Promise<{ screenAt: number; signedInAt: number }> {
  await page.goto(launchUrl);
  // The sign-in screen is up when its button is (the role comes from the identity picked below).
  const button = page.getByRole('button', { name: 'Sign in to the local demo' });
  await button.waitFor({ timeout: 60_000 });
  const screenAt = now();
  const popup = page.waitForEvent('popup');
  await button.click();
  const signInPage = await popup;
  await signInPage.getByLabel(/charge nurse, Ward A/).check();
  await signInPage.getByRole('button', { name: 'Approve and sign in' }).click();
  await signInPage.getByText(/return to/i).waitFor({ timeout: 60_000 });
  await signInPage.close();
  await page.getByRole('status').filter({ hasText: 'Signed in as' }).waitFor({ timeout: 60_000 });
  return { screenAt, signedInAt: now() };
}

/** Waits until the host's subscriptions are live and the feed is on screen; returns when. */
export async function feedLive(page: Page): Promise<number> {
  await page.getByRole('heading', { name: 'Live feed' }).waitFor({ timeout: 60_000 });
  for (;;) {
    const live = await page.evaluate(async () => {
      const response = await fetch('/api/call/getHealth', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      if (!response.ok) return false;
      const health = (await response.json()) as { result: { subscriptions: Array<{ connection: string }> } };
      const subs = health.result.subscriptions;
      return subs.length > 0 && subs.every((s) => s.connection === 'live');
    });
    if (live) return now();
    await sleep(20);
  }
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface RendererFigures {
  /** Main-thread task time so far (s). */
  taskSeconds: number;
  heapMiB: number;
  nodes: number;
}

/** The page's figures from the DevTools protocol; `gc` first collects garbage (memory figures). */
export async function rendererFigures(cdp: CDPSession, gc = false): Promise<RendererFigures> {
  if (gc) await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string): number => metrics.find((m) => m.name === name)?.value ?? 0;
  return {
    taskSeconds: metric('TaskDuration'),
    heapMiB: metric('JSHeapUsedSize') / 2 ** 20,
    nodes: metric('Nodes'),
  };
}
