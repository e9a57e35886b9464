import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Settings of one tenant (organisation). The id is the tenant claim of the IdP's tokens. */
@Entity({ schema: 'enterprise', name: 'organizations' })
export class OrganizationEntity {
  @PrimaryColumn({ name: 'id', type: 'text', primaryKeyConstraintName: 'pk_organizations' })
  id!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  /** ISO region codes where this tenant's data may be processed; empty means no restriction. */
  @Column({ name: 'data_residency', type: 'text', array: true, default: () => "'{}'" })
  dataResidency!: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
