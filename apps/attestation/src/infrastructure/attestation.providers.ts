import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import { CompositeVerifier, SimulatedAttester } from '@confide/attestation';
import { Keyring } from '@confide/envelope';
import { AttestationResultSigner, LEASE_AUTHORITY, ServiceSigningKey } from '@confide/keybroker';
import { SchedulerLeaseAuthority } from '@confide/persistence';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { DataSource } from 'typeorm';
import { PolicyAppraiser } from '../attest/policy.appraiser.js';
import { APPRAISER, COMPOSITE_VERIFIER, KEYRING, RESULT_SIGNER, SERVICE_SIGNING_KEY } from './attestation.tokens.js';

/** Where the attestation app keeps its secrets under CONFIDE_DATA_DIR (0700 directory, 0600 files). */
export const attestationPaths = (config: AppConfig) => ({
  kek: join(config.dataDir, 'keys', 'kek.json'),
  signingKey: join(config.dataDir, 'keys', 'attestation-signing-key.jwk'),
  devPki: join(config.dataDir, 'dev-pki'),
});

export const ATTESTATION_PROVIDERS: Provider[] = [
  // The process's one keyring (CoreModule): dataset seal keys wrapped by the datasets flow unwrap here as they are.
  { provide: KEYRING, useExisting: Keyring },
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
  // The scheduler's lease table decides: holder, current epoch, liveness by the database clock, cancellation.
  { provide: LEASE_AUTHORITY, inject: [DataSource], useFactory: (ds: DataSource) => new SchedulerLeaseAuthority(ds) },
];
