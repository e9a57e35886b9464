import { randomUUID } from 'node:crypto';
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import type { ReleasePolicyDto } from '@confide/contracts';
import { wrappedDekFromString } from '@confide/envelope';
import { DATASET_KEY_REGISTRY, type DatasetKeyRegistry, type SealKeyRegistration } from '@confide/keybroker';
import { KeyBrokerRepository } from '@confide/persistence';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DataSource, type EntityManager } from 'typeorm';

/** Appraisal policies of attestation/policies a dataset policy name may pin by naming one of them. */
const PRODUCTION_POLICIES = ['sev-snp-h100', 'tdx-h100'] as const;

/**
 * Release policy of a dataset's seal key. Embedded mode: the dev-simulated policy, simulated evidence allowed
 * (that PKI is trusted nowhere else). Production: the pinned SNP/TDX + H100 policies, no simulation; a dataset
 * policy named after one of them narrows the key to it.
 */
export function releasePolicyFor(mode: AppConfig['mode'], datasetPolicy: string): ReleasePolicyDto {
  if (mode === 'embedded') return { allowed_tee_types: ['sev-snp', 'tdx'], allowed_policy_ids: ['dev-simulated'], minimum_status: 'affirming', allow_simulated: true };
  const pinned = (PRODUCTION_POLICIES as readonly string[]).includes(datasetPolicy) ? [datasetPolicy] : [...PRODUCTION_POLICIES];
  const teeTypes = [...new Set(pinned.map((p) => (p.startsWith('tdx') ? 'tdx' : 'sev-snp')))] as Array<'sev-snp' | 'tdx'>;
  return { allowed_tee_types: teeTypes, allowed_policy_ids: pinned, minimum_status: 'affirming', allow_simulated: false };
}

@Injectable()
export class BrokerDatasetKeyRegistry implements DatasetKeyRegistry {
  private readonly keys: KeyBrokerRepository;

  constructor(
    @Inject(DataSource) ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.keys = new KeyBrokerRepository(ds);
  }

  async registerSealKey(em: EntityManager, key: SealKeyRegistration): Promise<{ keyId: string; releasePolicy: ReleasePolicyDto }> {
    const wrapped = wrappedDekFromString(key.wrappedDek);
    const id = randomUUID();
    const releasePolicy = releasePolicyFor(this.config.mode, key.datasetPolicy);
    await this.keys.insertKey(em, {
      id,
      tenantId: key.tenantId,
      datasetId: key.datasetId,
      keyVersion: wrapped.keyVersion,
      wrappedDek: key.wrappedDek,
      kekId: wrapped.kekId,
      kekVersion: wrapped.kekVersion,
      releasePolicy: { ...releasePolicy },
      createdBy: key.createdBy,
    });
    await this.audit.append(em, {
      tenantId: key.tenantId,
      actor: { type: 'system', id: 'key-broker' },
      action: 'keybroker.key_register',
      resource: { type: 'dataset_key', id },
      outcome: 'success',
      details: {
        dataset_id: key.datasetId,
        kek_id: wrapped.kekId,
        kek_version: wrapped.kekVersion,
        allowed_tee_types: releasePolicy.allowed_tee_types.join(','),
        allowed_policy_ids: releasePolicy.allowed_policy_ids.join(','),
        allow_simulated: releasePolicy.allow_simulated,
      },
    });
    return { keyId: id, releasePolicy };
  }
}

/**
 * The key broker's dataset-key registry, shared by the attestation app (which releases the keys) and the enterprise
 * app (which registers a TEE dataset's seal key in the transaction that makes it ready). Global so either can inject it.
 */
@Global()
@Module({
  providers: [{ provide: DATASET_KEY_REGISTRY, useClass: BrokerDatasetKeyRegistry }],
  exports: [DATASET_KEY_REGISTRY],
})
export class DatasetKeyRegistryModule {}
