// Builds the AES-GCM addon (gcm.c) into build/native/confide_gcm.node; run by `npm run build:server`.
// Needs only a C compiler and node_api.h (the addon calls the OpenSSL node itself exports). When either is missing the
// build says so and succeeds: sealed blobs then use node:crypto (libs/envelope/src/primitives/gcm-backend.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const source = join(here, 'gcm.c');
const target = join(root, 'build/native/confide_gcm.node');

function headerDir() {
  const nodes = [process.execPath, process.env.npm_node_execpath].filter(Boolean);
  const candidates = [
    process.env.CONFIDE_NODE_HEADERS,
    ...nodes.map((node) => resolve(dirname(node), '../include/node')),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
}

function skip(reason) {
  console.log(`native AES-GCM addon not built (${reason}); sealed blobs will use node:crypto`);
}

if (existsSync(target) && statSync(target).mtimeMs >= Math.max(statSync(source).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs)) {
  process.exit(0);
}
const include = headerDir();
if (include === undefined) {
  skip('node_api.h not found; set CONFIDE_NODE_HEADERS to a node include directory');
} else {
  const compiler = process.env.CC ?? 'cc';
  const temporary = `${target}.${process.pid}.tmp`;
  mkdirSync(dirname(target), { recursive: true });
  try {
    execFileSync(compiler, ['-O2', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-Wextra', `-I${include}`, source, '-o', temporary], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    renameSync(temporary, target);
  } catch (error) {
    skip(`${compiler} failed: ${error.message.split('\n')[0]}`);
  }
}
