import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import { CompositeVerifier, SimulatedAttester } from '@confide/attestation';
import { Keyring, LocalFileKekProvider } from '@confide/envelope';
import { AttestationResultSigner, InMemoryLeaseAuthority, LEASE_AUTHORITY, ServiceSigningKey } from '@confide/keybroker';
import { APP_CONFIG, LOGGER, type AppConfig } from '@confide/platform';
import type { Logger } from 'pino';
import { PolicyAppraiser } from '../attest/policy.appraiser.js';
import { APPRAISER, COMPOSITE_VERIFIER, KEYRING, RESULT_SIGNER, SERVICE_SIGNING_KEY } from './attestation.tokens.js';

/** Where the attestation app keeps its secrets under CONFIDE_DATA_DIR (0700 directory, 0600 files). */
export const attestationPaths = (config: AppConfig) => ({
  kek: join(config.dataDir, 'keys', 'kek.json'),
  signingKey: join(config.dataDir, 'keys', 'attestation-signing-key.jwk'),
  devPki: join(config.dataDir, 'dev-pki'),
});

export const ATTESTATION_PROVIDERS: Provider[] = [
  {
    provide: KEYRING,
    inject: [APP_CONFIG, LOGGER],
    useFactory: async (config: AppConfig, log: Logger) => {
      // Until a KMS-backed KekProvider exists, production also uses the local KEK file; say so loudly.
      if (config.mode === 'production') log.warn('key broker: using the local KEK file; configure a KMS-backed KEK provider for production');
      return new Keyring(await LocalFileKekProvider.loadOrCreate(attestationPaths(config).kek));
    },
  },
  {
    provide: SERVICE_SIGNING_KEY,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ServiceSigningKey.loadOrCreate(attestationPaths(config).signingKey),
  },
  {
    provide: RESULT_SIGNER,
    inject: [APP_CONFIG, SERVICE_SIGNING_KEY],
    useFactory: (config: AppConfig, key: ServiceSigningKey) => new AttestationResultSigner(key, `${config.publicUrl}/attestation`),
  },
  {
    provide: COMPOSITE_VERIFIER,
    inject: [APP_CONFIG],
    useFactory: async (config: AppConfig) => {
      // The development PKI is trusted only in embedded mode, and only as "simulated" (never merged with vendor roots).
      if (config.mode !== 'embedded') return new CompositeVerifier();
      const attester = await SimulatedAttester.loadOrCreate(attestationPaths(config).devPki);
      return new CompositeVerifier({ simulatedAnchors: attester.anchors });
    },
  },
  { provide: APPRAISER, inject: [APP_CONFIG], useFactory: (config: AppConfig) => PolicyAppraiser.load(config.mode) },
  // The scheduler replaces this with its lease table (see LeaseAuthority).
  { provide: LEASE_AUTHORITY, useValue: new InMemoryLeaseAuthority() },
];
