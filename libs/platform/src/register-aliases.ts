/**
 * Resolves `@confide/<lib>` to the compiled lib entry points when running from dist/ (the TypeScript path aliases
 * do not exist at run time). Imported first by bin/confide.mjs and the app entry points.
 */
import { registerHooks } from 'node:module';

const distRoot = new URL('../../../', import.meta.url);

registerHooks({
  resolve(specifier, context, nextResolve) {
    const m = /^@confide\/([a-z-]+)$/.exec(specifier);
    if (m) return nextResolve(new URL(`libs/${m[1]}/src/index.js`, distRoot).href, context);
    return nextResolve(specifier, context);
  },
});
