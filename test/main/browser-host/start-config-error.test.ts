// `npm start` with a bad deployment configuration, as a process: it says what is wrong (naming the
// field) in the terminal and on an error page, starts nothing else (no embedded server, no database),
// and does not fall back to the demo.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startExpectingErrorPage } from '../../support/start-error-page.ts';

describe('npm start with a bad configuration', () => {
  it('prints the error naming the field, serves it as a page, and starts nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-config-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ servers: [{ name: 'x', fhirBase: 'http://fhir.example.org/r4', clientId: 'c' }] }),
    );
    const dataDir = join(dir, 'data');
    const started = await startExpectingErrorPage(['--data-dir', dataDir, '--config', config]);
    const output = started.output();
    try {
      expect(output).toContain(
        `Alert Monitor could not start: Configuration ${config}: servers.0.fhirBase: https`,
      );
      const answer = await fetch(started.page);
      expect(answer.status).toBe(503);
      const html = await answer.text();
      expect(html).toContain('servers.0.fhirBase: https (plain http only to this computer)');
      expect(html).toContain('Nothing is being monitored');
      expect(output).not.toMatch(/Embedded FHIR server|browser host\):/);
      expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
    } finally {
      expect(await started.stop()).toBe(2);
    }
  }, 60_000);
});
