// @ts-check
import js from '@eslint/js';
import mocha from 'eslint-plugin-mocha';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'eslint.config.mjs']},
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {allowDefaultProject: ['*.js', '*.mjs']},
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports'}],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_'},
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // mysql2 is the driver's (src/mysql/driver/): the rest of the connector reaches it through driver/index.ts.
    files: ['src/**/*.ts'],
    ignores: ['src/mysql/driver/**'],
    rules: {
      'no-restricted-imports': ['error', {patterns: ['mysql2', 'mysql2/*']}],
    },
  },
  {
    // The dialect-neutral base never depends on the MySQL driver. A later block's rule replaces the one above: it
    // repeats mysql2.
    files: ['src/sql-connector/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {patterns: ['mysql2', 'mysql2/*', '../mysql', '../mysql/*']},
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    plugins: {mocha},
    rules: {
      'mocha/no-exclusive-tests': 'error',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
