// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importLayersPlugin } from './scripts/lint/import-layers.js';

// Pure code (tags/, pipeline/plan/) takes time and input as arguments and does no I/O.
const pureModules = [
  'tags/**/*.ts',
  'pipeline/plan/**/*.ts',
  'pipeline/family/build-order.ts',
  'pipeline/family/family-schema.ts',
];

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.bench/', 'reports/', '.stryker-tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      // Prettier wraps code at 120; this catches what it cannot wrap: comments, strings and templates.
      'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='exitCode']",
          message: 'only pipeline/main.ts sets the exit code',
        },
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
          message: 'only pipeline/main.ts ends the process',
        },
      ],
    },
  },
  {
    // vitest's asymmetric matchers (expect.any, expect.objectContaining) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // Standalone programs (the token service) own their process, like main.ts.
    files: ['pipeline/main.ts', 'scripts/**/*.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Each folder imports only its own layer and the layers below it (scripts/lint/import-layers.js).
    files: ['pipeline/**/*.ts', 'tags/**/*.ts'],
    plugins: { layers: importLayersPlugin },
    rules: { 'layers/import-layers': 'error' },
  },
  {
    files: pureModules,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '**/adapters/**',
            'node:fs',
            'node:fs/*',
            'node:child_process',
            'node:net',
            'node:http',
            'dockerode',
            'tar-fs',
            'simple-git',
            '@octokit/*',
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'pure code takes its input as arguments' },
        { name: 'fetch', message: 'pure code does no I/O' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'time is an argument: take `now: Date`',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'time is an argument: take `now: Date`',
        },
      ],
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
