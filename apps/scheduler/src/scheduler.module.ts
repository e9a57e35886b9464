import { Module } from '@nestjs/common';

/** The scheduler: node registry, placement, leases. Filled in by the jobs issue; hosts only health for now. */
@Module({})
export class SchedulerModule {}
