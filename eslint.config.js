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
    // The statement machinery has one entry point (lib/persistence/statements/index.ts).
    files: ['lib/**/*.ts'],
    ignores: ['lib/persistence/statements/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/statements/*', '!**/statements/index.js'], message: 'import statements/index.js' }] },
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
