import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog } from '@confide/audit';
import type { Organization, UpdateOrganization } from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { OrganizationRepository, type OrganizationRecord } from '@confide/persistence';
import { DataSource } from 'typeorm';

@Injectable()
export class OrganizationService {
  private readonly repo: OrganizationRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {
    this.repo = new OrganizationRepository(ds);
  }

  async get(principal: Principal): Promise<Organization> {
    return toDto((await this.repo.findById(principal.tenantId)) ?? defaults(principal.tenantId, new Date()));
  }

  /** Changes the caller's own organisation; the change and its audit entry commit together or not at all. */
  async update(principal: Principal, patch: UpdateOrganization): Promise<Organization> {
    const saved = await this.ds.transaction(async (em) => {
      const now = new Date();
      const current = (await this.repo.lockById(em, principal.tenantId)) ?? defaults(principal.tenantId, now);
      const next: OrganizationRecord = {
        ...current,
        ...(patch.display_name !== undefined ? { displayName: patch.display_name } : {}),
        ...(patch.data_residency !== undefined ? { dataResidency: [...new Set(patch.data_residency)] } : {}),
        updatedAt: now,
      };
      const stored = await this.repo.save(em, next);
      await this.audit.append(em, {
        tenantId: principal.tenantId,
        actor: auditActor(principal),
        action: 'organization.update',
        resource: { type: 'organization', id: principal.tenantId },
        outcome: 'success',
        details: { fields: Object.keys(patch).sort().join(','), data_residency: next.dataResidency.join(',') },
        sensitive: patch.display_name !== undefined ? { display_name: patch.display_name } : {},
      });
      return stored;
    });
    return toDto(saved);
  }
}

function defaults(id: string, now: Date): OrganizationRecord {
  return { id, displayName: id, dataResidency: [], createdAt: now, updatedAt: now };
}

function toDto(o: OrganizationRecord): Organization {
  return {
    id: o.id,
    object: 'organization',
    display_name: o.displayName,
    data_residency: [...o.dataResidency],
    created_at: Math.floor(o.createdAt.getTime() / 1000),
    updated_at: Math.floor(o.updatedAt.getTime() / 1000),
  };
}
