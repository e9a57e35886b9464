import { Module } from '@nestjs/common';
import { Keyring } from '@confide/envelope';
import { CKKS_TRAINING_PARAMETERS } from '@confide/fhe';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { createDatasetStorage, DATASET_STORAGE } from '../datasets/dataset-storage.js';
import { FheController } from './fhe.controller.js';
import { FheDatasetsService } from './fhe-datasets.service.js';
import { FheJobsService } from './fhe-jobs.service.js';
import { FheNodeProof } from './fhe-node-proof.js';
import { FheReplayController } from './fhe-replay.controller.js';
import { FheReplayService } from './fhe-replay.service.js';
import { FHE_SETTINGS, type FheSettings } from './fhe-storage.js';

/** FHE datasets (protection=fhe), the owner's side of fhe-logreg jobs and their sampled replays. Imported by DatasetsModule. */
@Module({
  controllers: [FheController, FheReplayController],
  providers: [
    FheDatasetsService,
    FheJobsService,
    FheNodeProof,
    FheReplayService,
    { provide: DATASET_STORAGE, inject: [APP_CONFIG, Keyring], useFactory: (config: AppConfig, keyring: Keyring) => createDatasetStorage(config, keyring) },
    { provide: FHE_SETTINGS, useValue: { parameters: CKKS_TRAINING_PARAMETERS, allowInsecure: false, maxRows: 100_000 } satisfies FheSettings },
  ],
  exports: [FheDatasetsService, FheJobsService, FHE_SETTINGS],
})
export class FheModule {}
