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
