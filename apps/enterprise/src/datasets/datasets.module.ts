import { Keyring } from '@confide/envelope';
import { Module } from '@nestjs/common';
import { APP_CONFIG, DatasetKeyRegistryModule, type AppConfig } from '@confide/platform';
import { createDatasetStorage, DATASET_STORAGE } from './dataset-storage.js';
import { DatasetsController } from './datasets.controller.js';
import { DatasetsService } from './datasets.service.js';
import { AbandonedUploadSweeper } from './abandoned-uploads.sweeper.js';
import { DatasetUploadsController } from './dataset-uploads.controller.js';
import { DatasetUploadsService } from './dataset-uploads.service.js';
import { ExpiredUploadSweeper } from './expired-uploads.sweeper.js';
import { FheModule } from '../fhe/fhe.module.js';

/** Datasets: streaming and resumable upload, validation, PII scan, protection and sealed storage (DESIGN §5.1–5.2). */
@Module({
  // protection=fhe uploads are handed to the FHE module's service (apps/enterprise/src/fhe). The key broker's
  // registry is imported here too: a TEE dataset becomes ready together with its releasable seal key whether or not
  // the attestation app runs in this process (a split deployment shares the database and the KEK).
  imports: [FheModule, DatasetKeyRegistryModule],
  controllers: [DatasetsController, DatasetUploadsController],
  providers: [DatasetsService, DatasetUploadsService, AbandonedUploadSweeper, ExpiredUploadSweeper, { provide: DATASET_STORAGE, inject: [APP_CONFIG, Keyring], useFactory: (config: AppConfig, keyring: Keyring) => createDatasetStorage(config, keyring) }],
})
export class DatasetsModule {}
