import { Inject, Injectable } from '@nestjs/common';
import { verifyDpopProof, type ProofReplayStore } from '@confide/auth';
import { SchedulerError, type Principal } from '@confide/domain';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { SchedulerRepository, type NodeRecord } from '@confide/persistence';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';

/**
 * Which registered node is calling, for the replay routes: unlike a lease route (where the scheduler's lease names
 * the holder), a replay must run on a node other than the one that did the work, so the node is identified by a
 * DPoP proof over this request signed with its registered identity key (the scheduler's node check, against the
 * same node table and the same shared proof-id guard).
 */
@Injectable()
export class FheNodeProof {
  private readonly repo: SchedulerRepository;
  private readonly replayGuard: ProofReplayStore;

  constructor(
    @Inject(DataSource) ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.repo = new SchedulerRepository(ds);
    this.replayGuard = { firstUse: (jti, expiresAt) => this.repo.firstProofUse(jti, expiresAt) };
  }

  async node(req: FastifyRequest, p: Principal, nodeId: string): Promise<NodeRecord> {
    const node = await this.repo.findNode(nodeId);
    if (!node) throw new SchedulerError('node_not_found', 'No such node.');
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    const proof = req.headers.dpop;
    await verifyDpopProof(
      {
        proof: typeof proof === 'string' ? proof : undefined,
        method: req.method,
        url: `${this.config.publicUrl}${req.url.split('?')[0] ?? ''}`,
        expectedJkt: node.identityJkt,
        ...(token ? { accessToken: token } : {}),
      },
      this.replayGuard,
    );
    if (node.operatorTenantId !== p.tenantId) throw new SchedulerError('node_not_owned', 'This node belongs to another operator.');
    if (node.state === 'retired') throw new SchedulerError('node_retired', 'This node is retired.');
    return node;
  }
}
