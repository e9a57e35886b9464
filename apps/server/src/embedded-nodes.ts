import { join } from 'node:path';
import type { RunningServer } from '@confide/platform';
import { NodeAgent, NoTeeEvidenceProvider, SimulatedEvidenceProvider } from '../../node-agent/src/index.js';

/**
 * Embedded mode's GPU capacity (DESIGN §3): two simulated confidential nodes (SEV-SNP + H100 evidence from the dev
 * PKI) and one node without a TEE, as in-process node agents that talk to this server over HTTP like real ones.
 * Their operator token comes from the embedded dev issuer's service account.
 */
export async function startEmbeddedNodes(server: RunningServer): Promise<NodeAgent[]> {
  const creds = server.devIssuer?.credentials;
  const sa = creds?.serviceAccounts[0];
  if (!creds || !sa) return [];
  let cached: { value: string; until: number } | undefined;
  const token = async (): Promise<string> => {
    if (cached && Date.now() < cached.until) return cached.value;
    const res = await fetch(`${creds.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${sa.clientId}:${sa.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new Error('embedded node: no token from the dev issuer');
    cached = { value: body.access_token, until: Date.now() + Math.max(30, (body.expires_in ?? 300) - 30) * 1000 };
    return cached.value;
  };
  const devPki = join(server.config.dataDir, 'dev-pki');
  const specs = [
    { name: 'sim-snp-1', price: 2.5, evidence: await SimulatedEvidenceProvider.create(devPki, 'sev-snp') },
    { name: 'sim-snp-2', price: 3, evidence: await SimulatedEvidenceProvider.create(devPki, 'sev-snp') },
    { name: 'plain-gpu-1', price: 0.8, evidence: new NoTeeEvidenceProvider() },
  ];
  const agents: NodeAgent[] = [];
  for (const s of specs) {
    const agent = await NodeAgent.create({
      url: server.url,
      token,
      stateDir: join(server.config.dataDir, 'nodes', s.name),
      name: s.name,
      hourlyPrice: s.price,
      evidence: s.evidence,
      gpu: s.evidence.teeType === 'none' ? { model: 'RTX4090', count: 1, memory_gb: 24 } : { model: 'H100', count: 1, memory_gb: 80 },
      log: (msg, data) => server.logger.info({ ...data }, `node agent: ${msg}`),
    });
    await agent.start();
    agents.push(agent);
  }
  return agents;
}
