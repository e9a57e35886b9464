import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@confide/auth';
import { pendingMigrations } from '@confide/persistence';
import { DataSource } from 'typeorm';
import { RequestError } from '../http/request.error.js';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** Liveness: the process serves requests. */
  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database answers and every migration is applied. */
  @Public()
  @Get('ready')
  async ready(): Promise<{ status: 'ready'; database: 'ok'; migrations: 'current' }> {
    try {
      await this.ds.query('SELECT 1');
    } catch {
      throw new RequestError('not_ready', 'The database is not reachable.');
    }
    const pending = await pendingMigrations(this.ds);
    if (pending.length) throw new RequestError('not_ready', `${pending.length} migration(s) not applied.`);
    return { status: 'ready', database: 'ok', migrations: 'current' };
  }
}
