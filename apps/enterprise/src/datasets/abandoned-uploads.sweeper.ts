import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import { DatasetRepository } from '@confide/persistence';
import { LOGGER } from '@confide/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task.js';
import { DATASET_STORAGE, type DatasetStorage } from './dataset-storage.js';
import { UPLOAD_ABANDONED_AFTER_MS, datasetBlobKeys } from './dataset-outcomes.js';

/**
 * Cleans up uploads whose process died mid-stream (crash, OOM kill, redeploy): their row stays `processing` forever,
 * blocks a retry with the same Idempotency-Key (`upload_in_progress`) and holds wrapped keys. A live upload moves its
 * row's updated_at every UPLOAD_HEARTBEAT_MS (withUploadHeartbeat); a row silent for UPLOAD_ABANDONED_AFTER_MS is
 * deleted with its keys and blobs, and audited as a failed dataset.create (reason upload_abandoned). Runs at boot and
 * then every minute, on any replica: the DELETE re-checks the condition and skips rows another sweeper holds.
 */
@Injectable()
export class AbandonedUploadSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly repo: DatasetRepository;
  private readonly task: PeriodicTask;
  intervalMs = 60_000;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DATASET_STORAGE) private readonly storage: DatasetStorage,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.repo = new DatasetRepository(ds);
    this.task = new PeriodicTask(
      async () => {
        const n = await this.sweep();
        if (n > 0) this.log.warn({ datasets: n }, 'removed abandoned dataset uploads');
      },
      (err) => this.log.error({ err: (err as Error).name }, 'abandoned-upload sweep failed'),
    );
  }

  onApplicationBootstrap(): void {
    this.task.start(this.intervalMs, { immediately: true });
  }

  onModuleDestroy(): void {
    this.task.stop();
  }

  /** Removes uploads silent since before `now - UPLOAD_ABANDONED_AFTER_MS`; returns how many. */
  async sweep(now = new Date(), limit = 100): Promise<number> {
    const cutoff = new Date(now.getTime() - UPLOAD_ABANDONED_AFTER_MS);
    const removed = await this.ds.transaction(async (em) => {
      const rows = await this.repo.deleteAbandoned(em, cutoff, limit);
      for (const row of rows) {
        await this.audit.append(em, {
          tenantId: row.tenantId,
          actor: { type: 'system', id: 'upload-sweeper' },
          action: 'dataset.create',
          resource: { type: 'dataset', id: row.id },
          outcome: 'failure',
          reason: 'upload_abandoned',
          details: { protection: row.protection },
        });
      }
      return rows;
    });
    // After the commit: a blob without its row is unreachable; one left behind by a failed delete is harmless.
    for (const row of removed) {
      const keys = datasetBlobKeys(row.id);
      for (const key of [keys.sealed, keys.fhe.ciphertexts, keys.fhe.bundle, keys.fhe.holdout]) await this.storage.blobs.delete(key).catch(() => undefined);
    }
    return removed.length;
  }
}
