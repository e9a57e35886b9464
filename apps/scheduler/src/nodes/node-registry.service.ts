import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import type { NodeDto, RegisterNode } from '@confide/contracts';
import { SchedulerError, type Principal } from '@confide/domain';
import { INITIAL_RELIABILITY, SchedulerRepository, type NodeRecord } from '@confide/persistence';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { NODE_EVIDENCE_VERIFIER, nodeRegistrationNonce, type NodeEvidenceVerdict, type NodeEvidenceVerifier } from './node-evidence.verifier.js';
import { NodeRequestAuthenticator } from './node-request.authenticator.js';

@Injectable()
export class NodeRegistryService {
  private readonly repo: SchedulerRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(NodeRequestAuthenticator) private readonly auth: NodeRequestAuthenticator,
    @Inject(NODE_EVIDENCE_VERIFIER) private readonly evidence: NodeEvidenceVerifier,
  ) {
    this.repo = new SchedulerRepository(ds);
  }

  /**
   * Registers a node under the identity key its DPoP proof proves. A confidential node's evidence must bind that
   * same key (report data) to a nonce derived from the proof; verification happens before the transaction.
   * Registering the same key again returns the existing node.
   */
  async register(p: Principal, req: FastifyRequest, body: RegisterNode): Promise<{ node: NodeDto; created: boolean }> {
    const proof = await this.auth.proofOf(req);
    const existing = await this.repo.findNodeByJkt(proof.jkt);
    if (existing) {
      if (existing.operatorTenantId !== p.tenantId) throw new SchedulerError('node_not_owned', 'This identity key is registered by another operator.');
      return { node: toNodeDto(existing), created: false };
    }
    let verdict: NodeEvidenceVerdict | null = null;
    if (body.tee_type !== 'none') {
      if (!body.evidence) throw new SchedulerError('node_evidence_required', 'A confidential node registers with attestation evidence binding its identity key.');
      try {
        verdict = await this.evidence.verify(body.evidence, nodeRegistrationNonce(proof.jkt, proof.jti), new Date());
      } catch (err) {
        throw new SchedulerError('node_evidence_invalid', 'The attestation evidence was not accepted.', undefined, (err as { code?: string }).code ?? (err as Error).message);
      }
      if (verdict.boundJkt !== proof.jkt) throw new SchedulerError('node_evidence_invalid', 'The attestation evidence was not accepted.', undefined, 'evidence binds another key');
      if (verdict.teeType !== body.tee_type) throw new SchedulerError('node_evidence_invalid', 'The attestation evidence was not accepted.', undefined, `evidence is ${verdict.teeType}, listed ${body.tee_type}`);
    }
    const now = new Date();
    const row: NodeRecord = {
      id: randomUUID(),
      name: body.name,
      operatorTenantId: p.tenantId,
      operatorSubject: p.subject,
      provider: body.provider,
      region: body.region,
      gpuModel: body.gpu.model,
      gpuCount: body.gpu.count,
      gpuMemoryGb: body.gpu.memory_gb,
      teeType: body.tee_type,
      hourlyPrice: body.hourly_price,
      interruptible: body.interruptible,
      maxConcurrentLeases: body.max_concurrent_leases,
      activeLeases: 0,
      state: 'active',
      identityJkt: proof.jkt,
      identityJwk: proof.jwk as Record<string, string>,
      attestationVerified: verdict !== null,
      attestationSimulated: verdict?.simulated ?? false,
      measurement: verdict?.measurement ?? null,
      reliability: INITIAL_RELIABILITY,
      availableUntil: null,
      registeredAt: now,
      lastSeenAt: null,
    };
    await this.ds.transaction(async (em) => {
      await this.repo.insertNode(em, row);
      await this.audit.append(em, {
        tenantId: p.tenantId,
        actor: { type: 'service', id: p.subject },
        action: 'node.register',
        resource: { type: 'node', id: row.id },
        outcome: 'success',
        details: { tee_type: row.teeType, region: row.region, provider: row.provider, gpu_model: row.gpuModel, jkt: row.identityJkt, attested: row.attestationVerified, simulated: row.attestationSimulated },
      });
    });
    return { node: toNodeDto(row), created: true };
  }

  async get(p: Principal, id: string): Promise<NodeDto> {
    const n = await this.repo.findNode(id);
    if (!n || n.operatorTenantId !== p.tenantId) throw new SchedulerError('node_not_found', 'No such node.');
    return toNodeDto(n);
  }

  async list(p: Principal): Promise<{ object: 'list'; data: NodeDto[] }> {
    return { object: 'list', data: (await this.repo.listNodes({ limit: 1000, operatorTenantId: p.tenantId })).map(toNodeDto) };
  }
}

export function toNodeDto(n: NodeRecord): NodeDto {
  const sec = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);
  return {
    id: n.id,
    object: 'node',
    name: n.name,
    provider: n.provider,
    region: n.region,
    gpu: { model: n.gpuModel, count: n.gpuCount, memory_gb: n.gpuMemoryGb },
    tee_type: n.teeType,
    hourly_price: n.hourlyPrice,
    interruptible: n.interruptible,
    max_concurrent_leases: n.maxConcurrentLeases,
    active_leases: n.activeLeases,
    state: n.state,
    identity_jkt: n.identityJkt,
    attestation: { verified: n.attestationVerified, simulated: n.attestationSimulated, measurement: n.measurement },
    reliability: Math.round(n.reliability * 1000) / 1000,
    registered_at: sec(n.registeredAt)!,
    last_seen_at: sec(n.lastSeenAt),
  };
}
