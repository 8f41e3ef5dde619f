// Lint rules that carry the architecture (docs/architecture.md, "Layers and import boundaries"):
// - `electron` is imported only in src-main/shell: everything else runs under plain Node;
// - the client core and the embedded server never import each other; neither imports a host;
// - src-main/lib and src-main/shared import no project folder (every layer may use them);
// - the renderer sees the host only through the shared API *types* and the shared FHIR JSON reader.
// test/main/lint/boundaries.test.ts proves each rule fires on a violation.
import js from '@eslint/js';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const noElectron = {
  paths: [{ name: 'electron', message: 'Runtime-neutral code: no electron import (docs/architecture.md).' }],
  patterns: [{ group: ['electron/*'], message: 'Runtime-neutral code: no electron import.' }],
};

const SRC = './src-main';
const zone = (target, from, message, except) => ({
  target: `${SRC}/${target}`,
  from: `${SRC}/${from}`,
  message,
  ...(except ? { except } : {}),
});
const HOSTS = ['app', 'local', 'browser-host', 'shell'];
const boundaryZones = [
  zone(
    'core',
    'server',
    'The client core never imports the embedded server: it talks to any server over HTTP.',
  ),
  zone('server', 'core', 'The embedded server never imports the client core: it must stand alone as a peer.'),
  ...HOSTS.flatMap((host) => [
    zone('core', host, 'The client core never imports a host or the composition root.'),
    zone('server', host, 'The embedded server never imports a host or the composition root.'),
  ]),
  zone('lib', '', 'src-main/lib imports no project folder.', ['./lib']),
  zone('shared', '', 'src-main/shared imports no project folder.', ['./shared']),
  zone('local', 'app', 'The local demo is composed by src-main/app, not the other way round.'),
  ...['browser-host', 'shell'].flatMap((host) => [
    zone('local', host, 'The local demo never imports a host.'),
    zone('app', host, 'The composition root never imports a host: hosts pass their parts in.'),
  ]),
  zone('browser-host', 'shell', 'The browser host never imports the Electron shell.'),
  zone('shell', 'browser-host', 'The Electron shell never imports the browser host.'),
  {
    target: './src-renderer',
    from: SRC,
    except: ['./shared/api.ts', './shared/fhir-json.ts'],
    message:
      'The renderer imports from src-main only the shared API contract and the shared FHIR JSON reader.',
  },
];

export default tseslint.config(
  {
    ignores: ['node_modules/', 'out/', 'test-results/', 'playwright-report/', 'e2e/artifacts/', 'tools/'],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src-main/**', 'src-renderer/**'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver()] },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: boundaryZones }] },
  },
  {
    files: ['src-main/**', 'scripts/**', 'bench/**'],
    ignores: ['src-main/shell/**'],
    rules: { 'no-restricted-imports': ['error', noElectron] },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer talks to the host only through the MonitorApi bridge.',
            },
          ],
          patterns: [
            {
              regex: 'src-main/(?!shared/(?:api|fhir-json)\\.ts$)',
              message:
                'The renderer may import from src-main only the shared API contract (types) and the shared FHIR JSON reader.',
            },
            {
              regex: 'src-main/shared/api\\.ts$',
              allowTypeImports: true,
              message: 'Import the shared API contract as types only (import type …).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'src-main/**/cli.ts', 'src-main/core/cli/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
