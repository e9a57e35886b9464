import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'apps/console/vite.config.ts', 'coverage/**', '.confide/**', 'bin/**', '*.js', '*.mjs'] },
  {
    files: ['**/*.ts'],
    ignores: ['apps/console/**'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@confide/*/*'], message: 'Import a lib only through its entry point: @confide/<lib>.' },
            { group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'], message: 'Import libs as @confide/<lib>, never by path.' },
          ],
        },
      ],
    },
  },
  {
    // The console is a browser bundle with its own tsconfig (DOM lib, bundler resolution, JSX).
    files: ['apps/console/src/**/*.{ts,tsx}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './apps/console/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './apps/console/tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@confide/*', '!@confide/contracts'], message: 'The console may import only the wire contracts.' }] },
      ],
    },
  },
  {
    // Services never import each other: what two apps share lives in a lib. Only the composition roots (apps/server
    // runs every service in one process, apps/cli embeds the node agent) import apps, through their entry points.
    files: ['apps/enterprise/**/*.ts', 'apps/scheduler/**/*.ts', 'apps/attestation/**/*.ts', 'apps/node-agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@confide/*/*'], message: 'Import a lib only through its entry point: @confide/<lib>.' },
            { group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'], message: 'Import libs as @confide/<lib>, never by path.' },
            {
              group: ['**/enterprise/src/**', '**/scheduler/src/**', '**/attestation/src/**', '**/node-agent/src/**', '**/server/src/**', '**/cli/src/**'],
              message: 'An app does not import another app: move what they share into a lib (e.g. the DatasetKeyRegistry seam in @confide/keybroker).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@confide/*'], message: 'libs/domain depends on nothing else in confide.' },
            { group: ['@nestjs/*', 'typeorm', 'jose', 'pg', 'node:*'], message: 'libs/domain is pure: no Nest, TypeORM, jose or I/O.' },
          ],
        },
      ],
    },
  },
);
