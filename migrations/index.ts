import type { MigrationInterface } from 'typeorm';
import { Init1764072000000 } from './1764072000000-init.js';
import { AuditQueue1795610055862 } from './1795610055862-audit-queue.js';
import { Datasets1795610400923 } from './1795610400923-datasets.js';
import { Attestation1795610647946 } from './1795610647946-attestation.js';
import { Jobs1795611202821 } from './1795611202821-jobs.js';
import { FheDatasets1795612800000 } from './1795612800000-fhe-datasets.js';
import { FheReplays1795613400000 } from './1795613400000-fhe-replays.js';
import { DatasetUploads1796287794978 } from './1796287794978-dataset-uploads.js';
import { CanaryChance1796300000000 } from './1796300000000-canary-chance.js';
import { NodeLiveness1796400000000 } from './1796400000000-node-liveness.js';

/** Every migration, oldest first. Immutable once merged: fix forward with a new one. */
export const MIGRATIONS: Array<new () => MigrationInterface> = [Init1764072000000, AuditQueue1795610055862, Datasets1795610400923, Attestation1795610647946, Jobs1795611202821, FheDatasets1795612800000, FheReplays1795613400000, DatasetUploads1796287794978, CanaryChance1796300000000, NodeLiveness1796400000000];
