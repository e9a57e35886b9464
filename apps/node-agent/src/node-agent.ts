import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { compositeEvidenceToJson } from '@confide/attestation';
import type { NodeHeartbeatResponse } from '@confide/contracts';
import type { EvidenceProvider } from './evidence/evidence-provider.js';
import { validateNodeCommands, type NodeCommands } from './command/command-config.js';
import { loadOrCreateIdentity, type NodeIdentity } from './identity-key.js';
import { LeaseRunner } from './lease-runner.js';
import { NodeApiClient, NodeApiError } from './node-api.client.js';
import { FheReplayWorker } from './runners/fhe-replay.worker.js';
import { agentTrainers, type AgentTrainers } from './runners/trainer-registry.js';

export interface NodeAgentOptions {
  /** Base URL of the confide services (the scheduler, the attestation service and the enterprise API). */
  readonly url: string;
  /** Bearer token of the node operator (`nodes:operate`), refreshed by the caller as needed. */
  readonly token: () => Promise<string>;
  /** Where the identity key lives (`node-identity.jwk`, 0600). */
  readonly stateDir: string;
  readonly name: string;
  readonly provider?: string;
  readonly region?: string;
  readonly gpu?: { model: string; count: number; memory_gb: number };
  readonly hourlyPrice?: number;
  readonly maxConcurrentLeases?: number;
  readonly evidence: EvidenceProvider;
  /** Heartbeat period; default: what the scheduler asks for. */
  readonly heartbeatMs?: number;
  readonly hashingDimension?: number;
  /** External trainers this node allows for `trainer: command` jobs, by name (command/command-config.ts). */
  readonly commands?: NodeCommands;
  /** tmpfs where `command` leases get their workspace (default /dev/shm; anything not memory-backed is refused). */
  readonly commandWorkspaceRoot?: string;
  /** Trainers by job `trainer` name, replacing the real defaults (runners/trainer-registry.ts). */
  readonly trainers?: Partial<AgentTrainers>;
  /** Take part in sampled replay of other nodes' FHE iterations when idle (default: yes, on nodes without a TEE). */
  readonly replays?: boolean;
  readonly log?: (msg: string, data?: Record<string, string | number | boolean>) => void;
}

/**
 * The node agent (`confide node run`): registers with an attested identity key, then heartbeats; each `start`
 * directive runs a LeaseRunner, `cancel` and `abandon` stop it. Logs carry ids and codes only.
 */
export class NodeAgent {
  nodeId = '';
  private readonly runners = new Map<string, LeaseRunner>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private beating = false;
  private readonly trainers: AgentTrainers;
  private readonly replayWorker: FheReplayWorker | null;
  private constructor(
    private readonly o: NodeAgentOptions,
    readonly identity: NodeIdentity,
    private readonly api: NodeApiClient,
  ) {
    this.trainers = agentTrainers(o.trainers);
    this.replayWorker = (o.replays ?? o.evidence.teeType === 'none') ? new FheReplayWorker(() => this.nodeId, api, this.trainers['fhe-logreg'], (m, d) => this.log(m, d)) : null;
  }

  static async create(o: NodeAgentOptions): Promise<NodeAgent> {
    if (o.commands) validateNodeCommands(o.commands);
    const identity = await loadOrCreateIdentity(join(o.stateDir, 'node-identity.jwk'));
    return new NodeAgent(o, identity, new NodeApiClient(o.url.replace(/\/$/, ''), o.token, identity));
  }

  private log(msg: string, data: Record<string, string | number | boolean> = {}): void {
    this.o.log?.(msg, { node: this.nodeId || this.o.name, ...data });
  }

  /** Registers (idempotent per identity key); a confidential node proves its identity key with fresh evidence. */
  async register(): Promise<string> {
    const jti = randomUUID();
    const attrs = {
      name: this.o.name,
      provider: this.o.provider ?? 'local',
      region: this.o.region ?? 'eu-west-1',
      gpu: this.o.gpu ?? { model: 'H100', count: 1, memory_gb: 80 },
      tee_type: this.o.evidence.teeType,
      hourly_price: this.o.hourlyPrice ?? 2,
      max_concurrent_leases: this.o.maxConcurrentLeases ?? 1,
    };
    let evidence: unknown;
    if (this.o.evidence.teeType !== 'none') {
      // nonce = SHA-256("confide-node-registration.v1:" ‖ jkt ‖ ":" ‖ jti of this request's DPoP proof).
      const nonce = createHash('sha256').update(`confide-node-registration.v1:${this.identity.jkt}:${jti}`, 'utf8').digest();
      evidence = compositeEvidenceToJson(await this.o.evidence.collect(new Uint8Array(nonce), this.identity.publicJwk));
    }
    const node = await this.api.json<{ id: string }>('POST', '/scheduler/v1/nodes', { ...attrs, ...(evidence ? { evidence } : {}) }, { jti });
    this.nodeId = node.id;
    this.log('registered', { tee_type: attrs.tee_type, evidence: this.o.evidence.name });
    return node.id;
  }

  async start(): Promise<void> {
    if (!this.nodeId) await this.register();
    this.stopped = false;
    await this.beat();
  }

  /** One heartbeat: report live leases with their phase, act on the directives. */
  async beat(): Promise<NodeHeartbeatResponse | null> {
    if (this.stopped || this.beating) return null;
    this.beating = true;
    let next = this.o.heartbeatMs ?? 5000;
    try {
      for (const [id, r] of this.runners) if (r.done && (await isSettled(r.done))) this.runners.delete(id);
      const leases = [...this.runners.values()].map((r) => ({ id: r.lease.id, epoch: r.epoch, phase: r.phase }));
      const res = await this.api.json<NodeHeartbeatResponse>('POST', `/scheduler/v1/nodes/${this.nodeId}/heartbeat`, { leases });
      next = this.o.heartbeatMs ?? res.heartbeat_interval_seconds * 1000;
      for (const l of res.leases) {
        const running = this.runners.get(l.id);
        if (l.directive === 'start' && !running) {
          this.log('lease started', { lease: l.id, epoch: l.epoch });
          this.runners.set(l.id, new LeaseRunner(l, this.nodeId, this.api, this.o.evidence, { log: (m, d) => this.log(m, d), trainers: this.trainers, ...(this.o.hashingDimension ? { hashingDimension: this.o.hashingDimension } : {}), ...(this.o.commands ? { commands: this.o.commands } : {}), ...(this.o.commandWorkspaceRoot ? { commandWorkspaceRoot: this.o.commandWorkspaceRoot } : {}) }));
        } else if (l.directive === 'cancel' && running) {
          running.stop('cancel');
        } else if (l.directive === 'cancel' && !running) {
          // Nothing runs here (e.g. after a restart): confirm so the job can end.
          await this.api.json('POST', `/scheduler/v1/nodes/${this.nodeId}/leases/${l.id}/complete`, { epoch: l.epoch, outcome: 'cancelled' }).catch(() => undefined);
        } else if (l.directive === 'abandon' && running) {
          running.stop('abandon');
        }
      }
      // Spare capacity goes to replaying other nodes' sampled FHE iterations.
      if (this.replayWorker && this.runners.size < (this.o.maxConcurrentLeases ?? 1)) this.replayWorker.poll();
      return res;
    } catch (e) {
      this.log('heartbeat failed', { status: e instanceof NodeApiError ? e.status : 0 });
      return null;
    } finally {
      this.beating = false;
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.beat(), next);
        this.timer.unref?.();
      }
    }
  }

  /** Graceful stop: running leases are abandoned (the scheduler re-queues them when their leases expire). */
  async stop(): Promise<void> {
    this.halt();
    await Promise.race([Promise.allSettled([...this.runners.values()].map((r) => r.done).concat(this.replayWorker ? [this.replayWorker.stop()] : [])), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  /**
   * Test hook for a crash (`kill -9` of an in-process agent): heartbeats stop at once and every running lease is
   * cut off mid-way without telling anyone, exactly as a dead process would leave them.
   */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const r of this.runners.values()) r.stop('shutdown');
    void this.replayWorker?.stop();
  }

  get activeLeases(): string[] {
    return [...this.runners.keys()];
  }
}

async function isSettled(p: Promise<void>): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);
}
