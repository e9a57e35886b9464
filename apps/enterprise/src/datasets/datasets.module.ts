import { Keyring } from '@confide/envelope';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { createDatasetStorage, DATASET_STORAGE } from './dataset-storage.js';
import { DatasetsController } from './datasets.controller.js';
import { DatasetsService } from './datasets.service.js';

/** Datasets: streaming upload, validation, PII scan, protection and sealed storage (DESIGN §5.1–5.2). */
@Module({
  controllers: [DatasetsController],
  providers: [DatasetsService, { provide: DATASET_STORAGE, inject: [APP_CONFIG, Keyring], useFactory: (config: AppConfig, keyring: Keyring) => createDatasetStorage(config, keyring) }],
})
export class DatasetsModule {}
