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
/**
 * The simulator shares the relay's pure wire code (relay/src/protocol/) and its Azure IP
 * range maths (relay/src/egress/: the DNS model and firewall need the same CIDR logic), and
 * nothing else of the relay: it must never lean on the implementation it is testing.
 */
const SIMULATOR_RELAY_ONLY = {
  regex: 'relay/src/(?!(protocol|egress)(/|$))',
  message: 'simulator/ may import only relay/src/protocol/ and relay/src/egress/ from the relay.',
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
    files: ['simulator/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [SIMULATOR_RELAY_ONLY] }],
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
