import { Module } from '@nestjs/common';
import { JobEventStream } from './job-event.stream.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

@Module({ controllers: [JobsController], providers: [JobsService, JobEventStream] })
export class JobsModule {}
