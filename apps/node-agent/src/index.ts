export { NodeAgent, type NodeAgentOptions } from './node-agent.js';
export { LeaseRunner, type LeasePhase } from './lease-runner.js';
export { NodeApiClient, NodeApiError } from './node-api.client.js';
export { loadOrCreateIdentity, type NodeIdentity } from './identity-key.js';
export { type EvidenceProvider, NoTeeEvidenceProvider, evidenceToAttestWire } from './evidence/evidence-provider.js';
export { SimulatedEvidenceProvider } from './evidence/simulated.evidence-provider.js';
export { ConfigfsTsmEvidenceProvider, CONFIGFS_TSM_REPORT } from './evidence/configfs-tsm.evidence-provider.js';
export { agentTrainers, type AgentTrainers } from './runners/trainer-registry.js';
export { FheReplayWorker } from './runners/fhe-replay.worker.js';
