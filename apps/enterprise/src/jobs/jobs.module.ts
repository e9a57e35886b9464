import { Module } from '@nestjs/common';
import { ServiceSigningKey } from '@confide/keybroker';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { createJobBlobStore, JOB_BLOBS } from './job-artifacts.js';
import { JobEventStream } from './job-event.stream.js';
import { JobReportController } from './job-report.controller.js';
import { JOB_REPORT_SIGNING_KEY, jobReportKeyPath, JobReportService } from './job-report.service.js';
import { JobVerificationService } from './job-verification.service.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';
import { NodeArtifactsController } from './node-artifacts.controller.js';
import { NodeArtifactsService } from './node-artifacts.service.js';

@Module({
  controllers: [JobsController, NodeArtifactsController, JobReportController],
  providers: [
    JobsService,
    JobEventStream,
    NodeArtifactsService,
    JobVerificationService,
    JobReportService,
    { provide: JOB_BLOBS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createJobBlobStore(config) },
    { provide: JOB_REPORT_SIGNING_KEY, inject: [APP_CONFIG], useFactory: (config: AppConfig) => ServiceSigningKey.loadOrCreate(jobReportKeyPath(config)) },
  ],
})
export class JobsModule {}
