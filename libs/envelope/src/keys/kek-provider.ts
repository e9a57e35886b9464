/**
 * A key-encryption key (KEK) backend. The KEK never leaves it: callers hand in key material plus associated data and
 * get ciphertext back. One provider holds one logical KEK with numbered versions and one primary version.
 *
 * Implementing a KMS/HSM provider (AWS KMS, GCP KMS, Azure Key Vault, Vault Transit, PKCS#11):
 * - `wrap` encrypts under the primary version and reports which version it used. The provider must bind its own
 *   KEK id and version into the ciphertext (KMS do this natively; a local AEAD puts them in its AAD) so a
 *   ciphertext cannot be relabelled as another version.
 * - `aad` maps to the KMS "encryption context" / AAD parameter and must be required, byte for byte, by `unwrap`.
 *   It holds no secrets (it may appear in KMS audit logs): the keyring puts tenant, dataset and DEK id/version in it.
 * - `unwrap` throws EnvelopeError `kek_version_unknown` for a version it does not hold, `kek_version_retired` below
 *   the minimum decryption version, `dek_unwrap_failed` when authentication fails, and `kek_provider_failed` for
 *   transport or service errors (with the cause in `internalReason`, never key material).
 * - `rotate` creates a version and makes it primary (AWS: a new key + alias move, or on-demand rotation; Vault:
 *   `transit/keys/:name/rotate`). Old versions keep decrypting until retired with `setMinDecryptionVersion`.
 * - Network calls must not happen inside a database transaction: callers wrap/unwrap first, then commit.
 */
export interface KekProvider {
  describe(): Promise<KekDescription>;
  wrap(plaintext: Uint8Array, aad: Uint8Array): Promise<KekCiphertext>;
  unwrap(ciphertext: KekCiphertext, aad: Uint8Array): Promise<Uint8Array>;
  rotate(): Promise<KekDescription>;
  /** Refuse to unwrap with versions below `version` (which must be <= the primary). Rewrap before raising it. */
  setMinDecryptionVersion(version: number): Promise<KekDescription>;
}

export interface KekCiphertext {
  readonly kekId: string;
  readonly kekVersion: number;
  readonly ciphertext: Uint8Array;
}

export interface KekVersionInfo {
  readonly version: number;
  readonly createdAt: string;
  readonly state: 'primary' | 'enabled' | 'retired';
}

export interface KekDescription {
  /** e.g. `local-file`, `aws-kms`. */
  readonly provider: string;
  readonly kekId: string;
  readonly primaryVersion: number;
  readonly minDecryptionVersion: number;
  readonly versions: readonly KekVersionInfo[];
}
