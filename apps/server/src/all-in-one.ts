import type { DynamicModule, Type } from '@nestjs/common';
import { AttestationModule } from '../../attestation/src/attestation.module.js';
import { EnterpriseModule } from '../../enterprise/src/enterprise.module.js';
import { SchedulerModule } from '../../scheduler/src/scheduler.module.js';

export type AppName = 'enterprise' | 'scheduler' | 'attestation';

export const APP_MODULES: Readonly<Record<AppName, Type | DynamicModule>> = {
  enterprise: EnterpriseModule,
  scheduler: SchedulerModule,
  attestation: AttestationModule,
};

export const ALL_APPS: readonly AppName[] = ['enterprise', 'scheduler', 'attestation'];
