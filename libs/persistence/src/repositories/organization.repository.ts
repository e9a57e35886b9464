import type { DataSource, EntityManager } from 'typeorm';
import { OrganizationEntity } from '../entities/organization.entity.js';

export interface OrganizationRecord {
  readonly id: string;
  readonly displayName: string;
  readonly dataResidency: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export class OrganizationRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string): Promise<OrganizationRecord | null> {
    return this.ds.getRepository(OrganizationEntity).findOneBy({ id });
  }

  /** Reads the row for update inside `em`'s transaction. */
  async lockById(em: EntityManager, id: string): Promise<OrganizationRecord | null> {
    return em.getRepository(OrganizationEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async save(em: EntityManager, org: OrganizationRecord): Promise<OrganizationRecord> {
    return em.getRepository(OrganizationEntity).save({ ...org, dataResidency: [...org.dataResidency] });
  }
}
