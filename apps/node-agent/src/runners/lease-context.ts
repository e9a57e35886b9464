import type { LeaseAssignment } from '@confide/contracts';
import type { NodeApiClient } from '../node-api.client.js';

export type LeasePhase = 'provisioning' | 'attesting' | 'key_release' | 'training' | 'checkpointing' | 'verifying' | 'sealing_output';
export type EventData = Record<string, number | string | boolean | null>;

/** What a per-trainer runner gets from the LeaseRunner that owns the lease (fencing, events, stop). */
export interface LeaseContext {
  readonly lease: LeaseAssignment;
  readonly api: NodeApiClient;
  /** `/scheduler/v1/nodes/{node}/leases/{lease}`. */
  readonly base: string;
  readonly signal: AbortSignal;
  setPhase(phase: LeasePhase): void;
  /** Throws if the lease was stopped (cancel, abandon, shutdown). */
  check(): void;
  event(level: 'info' | 'warn' | 'error', type: 'message' | 'metrics', message: string, data: EventData): void;
  flush(): Promise<void>;
  /** For fire-and-forget calls: a fenced answer stops the lease. */
  onApiError(e: unknown): void;
  log(msg: string, data?: Record<string, string | number | boolean>): void;
}
