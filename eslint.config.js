import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.tmp/**',
      'test/consumers/apps/**',
      'test/consumers/host-additions/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The code every message runs through; the CLI, the panel and boot-time config may spread freely.
    files: ['lib/{callbacks,entity-events,incoming,outgoing,persistence,protocol,queue,retry}/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // Node 20's V8 gives such an object a map of its own: ~1 µs per property after the
          // spread, and every later read of it misses the inline caches (docs/performance.md).
          selector: 'ObjectExpression > SpreadElement:first-child:not(:last-child)',
          message:
            'An object literal that starts with a spread is slow here: use Object.assign({}, a, { … }).',
        },
      ],
    },
  },
  {
    // The statement machinery has one entry point (lib/persistence/statements/index.ts).
    files: ['lib/**/*.ts'],
    ignores: ['lib/persistence/statements/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/statements/*', '!**/statements/index.js'], message: 'import statements/index.js' },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '@nestjs/*',
            'typeorm',
            'bull',
            'class-validator',
            'class-transformer',
            'reflect-metadata',
          ],
        },
      ],
    },
  },
);
