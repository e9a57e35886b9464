import { WebCryptoProvider, type CryptoProvider } from '@confide/crypto';

let provider: CryptoProvider | undefined;

/** The key broker's CryptoProvider when the caller passes none: one per process, so its key caches are shared. */
export function defaultCrypto(): CryptoProvider {
  return (provider ??= new WebCryptoProvider());
}
