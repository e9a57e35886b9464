import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import { DatasetUploadRepository } from '@confide/persistence';
import { LOGGER } from '@confide/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task.js';
import { DATASET_STORAGE, type DatasetStorage } from './dataset-storage.js';
import { UPLOAD_EXPIRES_AFTER_MS } from './dataset-uploads.service.js';

/**
 * Deletes resumable uploads left staging for UPLOAD_EXPIRES_AFTER_MS without a committed chunk (the client gave up or
 * lost the id): the row, its chunk rows and wrapped key in one transaction with an audit entry (`upload.expire`),
 * then the sealed chunks in the blob store. Runs at boot and every 10 minutes, on any replica (rows another sweeper
 * holds are skipped).
 */
@Injectable()
export class ExpiredUploadSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly uploads: DatasetUploadRepository;
  private readonly task: PeriodicTask;
  intervalMs = 10 * 60_000;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DATASET_STORAGE) private readonly storage: DatasetStorage,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.uploads = new DatasetUploadRepository(ds);
    this.task = new PeriodicTask(
      async () => {
        const n = await this.sweep();
        if (n > 0) this.log.warn({ uploads: n }, 'removed expired dataset uploads');
      },
      (err) => this.log.error({ err: (err as Error).name }, 'expired-upload sweep failed'),
    );
  }

  onApplicationBootstrap(): void {
    this.task.start(this.intervalMs, { immediately: true });
  }

  onModuleDestroy(): void {
    this.task.stop();
  }

  /** Removes staging uploads without activity since before `now - UPLOAD_EXPIRES_AFTER_MS`; returns how many. */
  async sweep(now = new Date(), limit = 100): Promise<number> {
    const cutoff = new Date(now.getTime() - UPLOAD_EXPIRES_AFTER_MS);
    const removed = await this.ds.transaction(async (em) => {
      const rows = await this.uploads.deleteExpired(em, cutoff, limit);
      for (const row of rows) {
        await this.audit.append(em, {
          tenantId: row.tenantId,
          actor: { type: 'system', id: 'upload-sweeper' },
          action: 'upload.expire',
          resource: { type: 'dataset_upload', id: row.id },
          outcome: 'success',
          details: { offset: row.offset, chunks: row.chunks },
        });
      }
      return rows;
    });
    // After the commit: chunks without their row (and key) are unreadable; one a failed delete leaves is harmless.
    for (const row of removed) await this.storage.blobs.deletePrefix(`uploads/${row.id}`).catch(() => undefined);
    return removed.length;
  }
}
