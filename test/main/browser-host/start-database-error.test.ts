// `npm start` on a data directory whose workstation database is not a database (a disk fault, a file
// saved over it): it says which file and what to do, in the terminal and on an error page, leaves the
// file as it was, and starts nothing that monitors (a monitor without its store would look calm).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

describe('npm start with a workstation database it cannot use', () => {
  it('names the file and what to do, serves it as a page, and leaves the file untouched', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'start-database-')), 'data');
    mkdirSync(dataDir);
    const database = join(dataDir, 'monitor.sqlite');
    const bytes = Buffer.from('not a database\n'.repeat(500));
    writeFileSync(database, bytes);
    const child = spawn(
      process.execPath,
      ['scripts/start.ts', '--browser', '--no-build', '--no-open', '--port', '0', '--data-dir', dataDir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const deadline = Date.now() + 45_000;
      let page = '';
      while (!page) {
        page = /error page: (\S+)/.exec(output)?.[1] ?? '';
        if (child.exitCode !== null) throw new Error(`exited early: ${output}`);
        if (Date.now() > deadline) throw new Error(`no error page: ${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(output).toContain(
        `Alert Monitor could not start: The database ${database} cannot be used: it is not an SQLite database`,
      );
      expect(output).toContain('Nothing in it was changed.');
      const answer = await fetch(page);
      expect(answer.status).toBe(503);
      const html = await answer.text();
      expect(html).toContain('The workstation database cannot be used');
      expect(html).toContain('move it aside to start with an empty one');
      expect(html).toContain('Nothing is being monitored');
      // Nothing that monitors came up: no app address, no launch file offered.
      expect(output).not.toMatch(/browser host\):|Launch file:/);
      expect(readFileSync(database).equals(bytes)).toBe(true);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(2);
    }
  }, 60_000);
});
