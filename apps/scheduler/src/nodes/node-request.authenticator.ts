import { Inject, Injectable } from '@nestjs/common';
import { verifyDpopProof, type ProofReplayStore, type VerifiedProof } from '@confide/auth';
import { SchedulerError, type Principal } from '@confide/domain';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { SchedulerRepository, type NodeRecord } from '@confide/persistence';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';

/** Replay guard shared by all replicas (primary key on the proof id, per key). */
class DbReplayStore implements ProofReplayStore {
  constructor(private readonly repo: SchedulerRepository) {}
  firstUse(jti: string, expiresAt: Date): Promise<boolean> {
    return this.repo.firstProofUse(jti, expiresAt);
  }
}

/**
 * Authenticates a node request: the bearer token (already verified by the global guard) and a DPoP proof over this
 * method and URL, bound to that token, signed by the node's registered identity key; the node must belong to the
 * caller's tenant.
 */
@Injectable()
export class NodeRequestAuthenticator {
  private readonly repo: SchedulerRepository;
  private readonly replay: DbReplayStore;

  constructor(
    @Inject(DataSource) ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.repo = new SchedulerRepository(ds);
    this.replay = new DbReplayStore(this.repo);
  }

  /** Proof for a request whose key is not registered yet (registration): returns the key it proves. */
  proofOf(req: FastifyRequest): Promise<VerifiedProof> {
    return verifyDpopProof(this.checkOf(req), this.replay);
  }

  async node(req: FastifyRequest, p: Principal, nodeId: string): Promise<NodeRecord> {
    const node = await this.repo.findNode(nodeId);
    if (!node) throw new SchedulerError('node_not_found', 'No such node.');
    await verifyDpopProof({ ...this.checkOf(req), expectedJkt: node.identityJkt }, this.replay);
    if (node.operatorTenantId !== p.tenantId) throw new SchedulerError('node_not_owned', 'This node belongs to another operator.');
    if (node.state === 'retired') throw new SchedulerError('node_retired', 'This node is retired.');
    return node;
  }

  private checkOf(req: FastifyRequest) {
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    const proof = req.headers.dpop;
    return {
      proof: typeof proof === 'string' ? proof : undefined,
      method: req.method,
      // The URL as the node addressed it: the public base plus the path.
      url: `${this.config.publicUrl}${req.url.split('?')[0] ?? ''}`,
      ...(token ? { accessToken: token } : {}),
    };
  }
}
