import { Module } from '@nestjs/common';
import { AttestationController } from './attest/attestation.controller.js';
import { AttestationService } from './attest/attestation.service.js';
import { ATTESTATION_PROVIDERS } from './infrastructure/attestation.providers.js';
import { KeyBrokerController } from './key-broker/key-broker.controller.js';
import { DatasetKeyRegistryModule } from '@confide/platform';
import { KeyBrokerService } from './key-broker/key-broker.service.js';
import { AttestationReportController } from './reports/attestation-report.controller.js';
import { AttestationReportService } from './reports/attestation-report.service.js';

/**
 * The attestation service and key broker (DESIGN §5.3): challenge → attest → release, attestation reports for
 * auditors, and the JWKS of the result-signing key.
 */
@Module({
  imports: [DatasetKeyRegistryModule],
  controllers: [AttestationController, KeyBrokerController, AttestationReportController],
  providers: [...ATTESTATION_PROVIDERS, AttestationService, KeyBrokerService, AttestationReportService],
  exports: [KeyBrokerService],
})
export class AttestationModule {}
