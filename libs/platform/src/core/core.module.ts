import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuditLog } from '@confide/audit';
import { AccessTokenVerifier, AuthGuard } from '@confide/auth';
import { Keyring } from '@confide/envelope';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { HealthController } from '../health/health.controller.js';
import { ProblemFilter } from '../http/problem.filter.js';
import { LOGGER } from '../logging/logger.js';

export interface CoreDependencies {
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly auditLog: AuditLog;
  readonly tokenVerifier: AccessTokenVerifier;
  readonly logger: Logger;
  /** The process's one keyring over the KEK (a local 0600 file in embedded mode; a KMS/HSM provider plugs in here). */
  readonly keyring: Keyring;
}

/**
 * What every confide app shares: config, database, audit log, token verification, the deny-by-default guard,
 * the problem+json filter and the health routes. Built once per process by the server bootstrap.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(deps: CoreDependencies): DynamicModule {
    return {
      module: CoreModule,
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: deps.config },
        { provide: DataSource, useValue: deps.dataSource },
        { provide: AuditLog, useValue: deps.auditLog },
        { provide: AccessTokenVerifier, useValue: deps.tokenVerifier },
        { provide: LOGGER, useValue: deps.logger },
        { provide: Keyring, useValue: deps.keyring },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
      exports: [APP_CONFIG, DataSource, AuditLog, AccessTokenVerifier, LOGGER, Keyring],
    };
  }
}
