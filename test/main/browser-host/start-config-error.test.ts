// `npm start` with a bad deployment configuration, as a process: it says what is wrong (naming the
// field) in the terminal and on an error page, starts nothing else (no embedded server, no database),
// and does not fall back to the demo.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

describe('npm start with a bad configuration', () => {
  it('prints the error naming the field, serves it as a page, and starts nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-config-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ servers: [{ name: 'x', fhirBase: 'http://fhir.example.org/r4', clientId: 'c' }] }),
    );
    const dataDir = join(dir, 'data');
    const child = spawn(
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
        '--config',
        config,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const deadline = Date.now() + 30_000;
      let page = '';
      while (!page) {
        page = /configuration error page: (\S+)/.exec(output)?.[1] ?? '';
        if (child.exitCode !== null) throw new Error(`exited early: ${output}`);
        if (Date.now() > deadline) throw new Error(`no error page: ${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(output).toContain(
        `Alert Monitor could not start: Configuration ${config}: servers.0.fhirBase: https`,
      );
      const answer = await fetch(page);
      expect(answer.status).toBe(503);
      const html = await answer.text();
      expect(html).toContain('servers.0.fhirBase: https (plain http only to this computer)');
      expect(html).toContain('Nothing is being monitored');
      expect(output).not.toMatch(/Embedded FHIR server|browser host\):/);
      expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(2);
    }
  }, 60_000);
});
