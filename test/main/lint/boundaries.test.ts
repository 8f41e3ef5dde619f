// The import boundaries of eslint.config.js, proven to fire: each case lints a small file placed (virtually)
// in one folder and importing a real module of another, through the project's own ESLint configuration.
import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The boundary-rule messages ESLint reports for `code` as if it were the file at `path`. */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: resolve(root, path) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'import-x/no-restricted-paths' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('import boundaries (eslint.config.js)', () => {
  it.each([
    [
      'src-main/core/monitor/probe.ts',
      "import '../../server/server.ts';",
      /never imports the embedded server/,
    ],
    ['src-main/core/probe.ts', "import '../app/compose.ts';", /never imports a host or the composition root/],
    ['src-main/core/probe.ts', "import '../browser-host/host.ts';", /never imports a host/],
    ['src-main/server/fhir/probe.ts', "import '../../core/service.ts';", /never imports the client core/],
    ['src-main/server/probe.ts', "import '../local/local-demo.ts';", /never imports a host/],
    ['src-main/lib/probe.ts', "import '../core/log.ts';", /lib imports no project folder/],
    ['src-main/shared/probe.ts', "import '../lib/sqlite.ts';", /shared imports no project folder/],
    ['src-main/local/probe.ts', "import '../app/compose.ts';", /composed by src-main\/app/],
    ['src-main/app/probe.ts', "import '../shell/tray.ts';", /never imports a host/],
    ['src-main/browser-host/probe.ts', "import '../shell/tray.ts';", /never imports the Electron shell/],
    ['src-renderer/probe.ts', "import '../src-main/core/log.ts';", /renderer imports from src-main only/],
    [
      'src-renderer/probe.ts',
      "import { apiArgSchemas } from '../src-main/shared/api.ts'; void apiArgSchemas;",
      /types only/,
    ],
    ['src-main/core/probe.ts', "import { app } from 'electron'; void app;", /no electron import/],
    ['src-main/browser-host/probe.ts', "import 'electron';", /no electron import/],
  ])('%s: %s is refused', async (path, code, message) => {
    const errors = await boundaryErrors(path, code);
    expect(
      errors.some((e) => message.test(e)),
      errors.join('\n') || 'no boundary error',
    ).toBe(true);
  });

  it.each([
    ['src-main/core/probe.ts', "import '../shared/fhir-json.ts';\nimport '../lib/sqlite.ts';"],
    ['src-main/server/probe.ts', "import '../shared/fhir-json.ts';\nimport '../lib/sqlite.ts';"],
    ['src-main/app/probe.ts', "import '../core/service.ts';\nimport '../local/local-demo.ts';"],
    ['src-main/local/probe.ts', "import '../server/server.ts';\nimport '../core/log.ts';"],
    ['src-main/shell/probe.ts', "import 'electron';\nimport '../app/compose.ts';"],
    [
      'src-renderer/probe.ts',
      "import type { AlertSummary } from '../src-main/shared/api.ts';\nimport { str } from '../src-main/shared/fhir-json.ts';\nexport type A = AlertSummary;\nvoid str;",
    ],
  ])('%s: allowed imports pass', async (path, code) => {
    expect(await boundaryErrors(path, code)).toEqual([]);
  });
});
