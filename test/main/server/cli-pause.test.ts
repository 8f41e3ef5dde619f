// The server CLI pauses its simulator on SIGUSR1 and resumes it on SIGUSR2 (`--paused` starts it
// paused): nothing is written while paused, and writing goes on after the resume.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src-main/lib/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'alert-cli-pause-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Every stdout line of the child, and a wait for the first new line matching a pattern. */
function lines(child: ChildProcess) {
  const seen: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    seen.push(...parts);
  });
  return {
    seen,
    async next(pattern: RegExp, from: number, timeoutMs = 20_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = seen.slice(from).find((l) => pattern.test(l));
        if (hit) return hit;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no line ${pattern}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

const observations = (line: string) => Number(/\((\d+) observations so far\)/.exec(line)?.[1] ?? NaN);

function observationRows(dbPath: string): number {
  const db = openDatabase(dbPath);
  try {
    return (
      db
        .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM resource_current WHERE type = 'Observation'")
        .get()?.n ?? 0
    );
  } finally {
    db.close();
  }
}

describe('server cli: pause and resume the simulator', () => {
  it('--paused starts paused; SIGUSR2 resumes, SIGUSR1 pauses, with nothing written while paused', async () => {
    const dbPath = join(dir, 'server.sqlite');
    const child = spawn(
      process.execPath,
      [
        'src-main/server/cli.ts',
        ...['--port', '0', '--db', dbPath, '--simulate', '--rate', '3600', '--seed', '3'],
        ...['--paused', '--log-level', 'warn'],
      ],
      { cwd: join(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    const out = lines(child);
    const started = await out.next(/simulator paused/, 0);
    const atStart = observations(started);
    // Resumed: the simulator writes again.
    let mark = out.seen.length;
    child.kill('SIGUSR2');
    expect(observations(await out.next(/simulator resumed/, mark))).toBe(atStart);
    const deadline = Date.now() + 30_000;
    while (observationRows(dbPath) <= atStart && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(observationRows(dbPath)).toBeGreaterThan(atStart);
    // Paused: the count at the pause is the count at the next resume, so nothing was written between.
    mark = out.seen.length;
    child.kill('SIGUSR1');
    const paused = observations(await out.next(/simulator paused/, mark));
    expect(paused).toBeGreaterThan(atStart);
    mark = out.seen.length;
    child.kill('SIGUSR2');
    expect(observations(await out.next(/simulator resumed/, mark))).toBe(paused);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }, 90_000);
});
