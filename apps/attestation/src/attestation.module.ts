import { Module } from '@nestjs/common';

/** The attestation service and key broker. Filled in by the attestation issue; hosts only health for now. */
@Module({})
export class AttestationModule {}
