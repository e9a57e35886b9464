#!/usr/bin/env node
// Entry point of the `confide` command. Resolves the @confide/* aliases to the compiled libs, then runs the CLI.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist/apps/cli/src/main.js');
if (!existsSync(main)) {
  process.stderr.write('confide: not built yet; run `npm ci` (or `npm run build`) in ' + root + '\n');
  process.exit(2);
}
await import(pathToFileURL(join(root, 'dist/libs/platform/src/register-aliases.js')).href);
await import(pathToFileURL(main).href);
