export * from './envelope.error.js';
export { DataKey, DEK_LENGTH } from './keys/data-key.js';
export {
  SealedBlobReader,
  SealedBlobWriter,
  type DekReference,
  type DekSource,
  type OpenOptions,
  type SealContext,
  type SealOptions,
} from './sealed-blob/sealed-blob.cipher.js';
export {
  DEFAULT_SEGMENT_SIZE,
  MAX_SEGMENT_SIZE,
  MIN_SEGMENT_SIZE,
  SEALED_BLOB_FORMAT_VERSION,
  type SealedBlobHeader,
} from './sealed-blob/sealed-blob.header.js';
export {
  createOpenStream,
  createSealStream,
  openBuffer,
  openIterable,
  readSealedBlobHeader,
  sealBuffer,
  sealIterable,
} from './sealed-blob/sealed-blob.stream.js';
export type { KekCiphertext, KekDescription, KekProvider, KekVersionInfo } from './keys/kek-provider.js';
export { LocalFileKekProvider, type LocalFileKekOptions } from './keys/local-file-kek.provider.js';
export { Keyring, type DekBinding } from './keys/keyring.js';
export {
  decodeWrappedDek,
  encodeWrappedDek,
  wrappedDekFromString,
  wrappedDekToString,
  type WrappedDek,
} from './keys/wrapped-dek.js';
export {
  availableGcmBackends,
  defaultGcm,
  nativeGcmStatus,
  nodeGcm,
  type GcmBackend,
} from './primitives/gcm-backend.js';
export { FF1_MAX_LENGTH, FF1_MAX_RADIX, FF1_MAX_TWEAK_LENGTH, FF1_MIN_DOMAIN_SIZE, Ff1 } from './fpe/ff1.js';
export { FPE_ALPHABETS, FormatPreservingCipher, ShapePreservingCipher } from './fpe/format-preserving.cipher.js';
export { assertBlobKey, type BlobPutOptions, type BlobPutResult, type BlobStore } from './blob-store/blob-store.js';
export { LocalFsBlobStore } from './blob-store/local-fs-blob.store.js';
