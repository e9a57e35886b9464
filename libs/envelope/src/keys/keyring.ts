import { encodeFields, u32 } from '../encoding/length-prefixed.js';
import { EnvelopeError } from '../envelope.error.js';
import { DEK_LENGTH, DataKey } from './data-key.js';
import type { KekDescription, KekProvider } from './kek-provider.js';
import { wrappedDekFromString, type WrappedDek } from './wrapped-dek.js';

/** What a DEK belongs to; bound into the wrap AAD so a wrapped DEK cannot be moved to another dataset or tenant. */
export interface DekBinding {
  readonly tenantId: string;
  readonly datasetId: string;
}

const AAD_LABEL = 'confide/dek/v1';

/**
 * The dataset-key service over one KEK provider: mints DEKs, wraps/unwraps them with AAD binding
 * (tenant, dataset, DEK id, DEK version), rotates the KEK and rewraps stored DEKs under the primary KEK version.
 *
 * Rotation follows Vault Transit: `rotate()` adds a primary version; old versions keep unwrapping; run `rewrap`
 * over every stored WrappedDek (`needsRewrap` tells which), then `retireBelow(primary)` so old versions stop working.
 */
export class Keyring {
  constructor(private readonly provider: KekProvider) {}

  describe(): Promise<KekDescription> {
    return this.provider.describe();
  }

  /** A fresh DEK and its wrapped form. Persist only `wrapped`; destroy `dek` when done with it. */
  async generateDek(
    binding: DekBinding,
    options: { keyId?: string; version?: number } = {},
  ): Promise<{ dek: DataKey; wrapped: WrappedDek }> {
    const dek = DataKey.generate(options);
    try {
      return { dek, wrapped: await this.wrapDek(dek, binding) };
    } catch (error) {
      dek.destroy();
      throw error;
    }
  }

  /** Mints a DEK and returns only its wrapped form (the AWS `GenerateDataKeyWithoutPlaintext` shape). */
  async generateWrappedDek(binding: DekBinding, options: { keyId?: string; version?: number } = {}): Promise<WrappedDek> {
    const { dek, wrapped } = await this.generateDek(binding, options);
    dek.destroy();
    return wrapped;
  }

  /** Wraps a DEK under the primary KEK version. */
  async wrapDek(dek: DataKey, binding: DekBinding): Promise<WrappedDek> {
    const result = await this.provider.wrap(dek.material(), dekAad(binding, dek.keyId, dek.version));
    return {
      kekId: result.kekId,
      kekVersion: result.kekVersion,
      keyId: dek.keyId,
      keyVersion: dek.version,
      ciphertext: result.ciphertext,
    };
  }

  /**
   * Unwraps a stored DEK for use (sealing, opening, or release to an attested enclave). Fails with
   * `dek_unwrap_failed` when the binding differs from the one used at wrap time or the bytes were altered,
   * `kek_version_unknown` / `kek_version_retired` / `kek_id_mismatch` for KEK problems.
   */
  async unwrapDek(wrapped: WrappedDek | string, binding: DekBinding): Promise<DataKey> {
    const parsed = typeof wrapped === 'string' ? wrappedDekFromString(wrapped) : wrapped;
    const material = await this.provider.unwrap(parsed, dekAad(binding, parsed.keyId, parsed.keyVersion));
    try {
      if (material.length !== DEK_LENGTH) {
        throw new EnvelopeError('dek_unwrap_failed', 'the unwrapped data key has the wrong length');
      }
      return DataKey.fromBytes(parsed.keyId, parsed.keyVersion, material);
    } finally {
      material.fill(0);
    }
  }

  /** Adds a KEK version and makes it primary. Existing wrapped DEKs still unwrap until retired. */
  rotate(): Promise<KekDescription> {
    return this.provider.rotate();
  }

  /** True when `wrapped` is not under the current primary KEK version. */
  async needsRewrap(wrapped: WrappedDek | string): Promise<boolean> {
    const parsed = typeof wrapped === 'string' ? wrappedDekFromString(wrapped) : wrapped;
    const description = await this.provider.describe();
    return parsed.kekId !== description.kekId || parsed.kekVersion !== description.primaryVersion;
  }

  /**
   * Re-wraps a stored DEK under the primary KEK version. The plaintext DEK exists only inside this call and is zeroed
   * before it returns; the caller gets only the new wrapped form. Already-current DEKs come back unchanged.
   */
  async rewrap(wrapped: WrappedDek | string, binding: DekBinding): Promise<WrappedDek> {
    const parsed = typeof wrapped === 'string' ? wrappedDekFromString(wrapped) : wrapped;
    if (!(await this.needsRewrap(parsed))) return parsed;
    const dek = await this.unwrapDek(parsed, binding);
    try {
      return await this.wrapDek(dek, binding);
    } finally {
      dek.destroy();
    }
  }

  /** Stops unwrapping with KEK versions below `version` (Vault's min_decryption_version). Rewrap first. */
  retireBelow(version: number): Promise<KekDescription> {
    return this.provider.setMinDecryptionVersion(version);
  }
}

function dekAad(binding: DekBinding, keyId: string, keyVersion: number): Buffer {
  for (const value of [binding.tenantId, binding.datasetId]) {
    if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 256) {
      throw new EnvelopeError('invalid_context', 'a DEK binding needs a non-empty tenantId and datasetId');
    }
  }
  return encodeFields(AAD_LABEL, [binding.tenantId, binding.datasetId, keyId, u32(keyVersion)]);
}
