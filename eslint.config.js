// ESLint flat config: type-aware strict rules for all TypeScript, plus the import
// boundaries of ARCHITECTURE.md (relay/ is deployable alone; relay/src/protocol/ is pure).
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');

/** Import sources a file under relay/ may never name. */
const RELAY_FORBIDDEN = {
  regex: '(^|/)(simulator|suites|reports)(/|$)',
  message: 'relay/ is deployable alone: it never imports simulator/, suites/ or reports/.',
};
/** relay/src/protocol/ may import only itself (./x) and Node built-ins (node:x). */
const PROTOCOL_ONLY = {
  regex: '^(?!node:|\\./)|\\.\\.',
  message: 'relay/src/protocol/ is pure: import only ./siblings and node: built-ins.',
};

module.exports = tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.tap/', 'reports/runs/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: __dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['relay/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [RELAY_FORBIDDEN] }],
    },
  },
  {
    files: ['relay/src/protocol/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [RELAY_FORBIDDEN, PROTOCOL_ONLY] },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
