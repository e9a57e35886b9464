// The main job: one process hosting the enterprise, scheduler and attestation apps on embedded defaults, plus (in
// embedded mode) two simulated confidential nodes and one non-TEE node. CONFIDE_EMBEDDED_NODES=0 turns them off.
import { runApp } from '@confide/platform';
import { ALL_APPS, APP_MODULES } from './all-in-one.js';
import { startEmbeddedNodes } from './embedded-nodes.js';

const server = await runApp('all-in-one', ALL_APPS.map((a) => APP_MODULES[a]));
if (server && server.config.mode === 'embedded' && process.env.CONFIDE_EMBEDDED_NODES !== '0') {
  const nodes = await startEmbeddedNodes(server);
  process.stdout.write(`node agents: ${nodes.length} (2 simulated SEV-SNP + H100, 1 without TEE)\n`);
}
