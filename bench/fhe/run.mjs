// Runs fhe.bench.ts straight from source (Node 24 type stripping) with @confide/* mapped to libs/*/src.
//   node_modules/.bin/node --experimental-transform-types bench/fhe/run.mjs [file.ts]
import { registerHooks } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
registerHooks({
  resolve(specifier, context, next) {
    const alias = /^@confide\/([a-z-]+)$/.exec(specifier);
    if (alias) return next(pathToFileURL(join(root, 'libs', alias[1], 'src/index.ts')).href, context);
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (existsSync(fileURLToPath(ts))) return next(ts.href, context);
    }
    return next(specifier, context);
  },
});
await import(pathToFileURL(join(root, 'bench/fhe', process.argv[2] ?? 'fhe.bench.ts')).href);
