import type { ReleasePolicyDto } from '@confide/contracts';
import type { EntityManager } from 'typeorm';

/** What the datasets flow hands the key broker when a TEE dataset becomes ready. */
export interface SealKeyRegistration {
  readonly tenantId: string;
  readonly datasetId: string;
  /** The seal DEK exactly as the datasets flow stored it (`cfwd1.`, KEK-wrapped, bound to tenant + dataset). */
  readonly wrappedDek: string;
  /** The dataset's protection policy name; the release policy is derived from it (and from the deployment mode). */
  readonly datasetPolicy: string;
  readonly createdBy: string;
}

/**
 * The seam between datasets (enterprise app) and the key broker (attestation app), kept here so neither app imports
 * the other: the broker provides it, the datasets flow injects it. One Keyring per process, so a wrapped DEK minted
 * by the datasets flow unwraps in the broker as is. `registerSealKey` runs inside the caller's transaction, so a
 * dataset is never `ready` without a releasable key, and never has a releasable key without being ready.
 */
export interface DatasetKeyRegistry {
  registerSealKey(em: EntityManager, key: SealKeyRegistration): Promise<{ keyId: string; releasePolicy: ReleasePolicyDto }>;
}

export const DATASET_KEY_REGISTRY = Symbol.for('confide.dataset-key-registry');
