// Lint rules that carry the architecture: the core, the embedded server, the browser host and the
// shared contract must run under plain Node, so they may not import `electron`; the renderer may
// only see the host through the shared API *types*.
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const noElectron = {
  paths: [{ name: 'electron', message: 'Runtime-neutral code: no electron import (docs/architecture.md).' }],
  patterns: [{ group: ['electron/*'], message: 'Runtime-neutral code: no electron import.' }],
};

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
    files: [
      'src-main/core/**',
      'src-main/server/**',
      'src-main/local/**',
      'src-main/app/**',
      'src-main/browser-host/**',
      'src-main/shared/**',
      'scripts/**',
    ],
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
