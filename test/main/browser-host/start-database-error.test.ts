// `npm start` on a data directory whose workstation database is not a database (a disk fault, a file
// saved over it): it says which file and what to do, in the terminal and on an error page, leaves the
// file as it was, and starts nothing that monitors (a monitor without its store would look calm).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startExpectingErrorPage } from '../../support/start-error-page.ts';

describe('npm start with a workstation database it cannot use', () => {
  it('names the file and what to do, serves it as a page, and leaves the file untouched', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'start-database-')), 'data');
    mkdirSync(dataDir);
    const database = join(dataDir, 'monitor.sqlite');
    const bytes = Buffer.from('not a database\n'.repeat(500));
    writeFileSync(database, bytes);
    const started = await startExpectingErrorPage(['--data-dir', dataDir]);
    const output = started.output();
    try {
      expect(output).toContain(
        `Alert Monitor could not start: The database ${database} cannot be used: it is not an SQLite database`,
      );
      expect(output).toContain('Nothing in it was changed.');
      const answer = await fetch(started.page);
      expect(answer.status).toBe(503);
      const html = await answer.text();
      expect(html).toContain('The workstation database cannot be used');
      expect(html).toContain('move it aside to start with an empty one');
      expect(html).toContain('Nothing is being monitored');
      // Nothing that monitors came up: no app address, no launch file offered.
      expect(output).not.toMatch(/browser host\):|Launch file:/);
      expect(readFileSync(database).equals(bytes)).toBe(true);
    } finally {
      expect(await started.stop()).toBe(2);
    }
  }, 60_000);
});
