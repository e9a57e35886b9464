import type { AppConfig } from '@confide/platform';

/**
 * Timing of the scheduler. Lease and node liveness are decided by the database clock; these are only durations.
 * Deployments set them through the environment (SCHEDULER_* in AppConfig); in-process tests may also change them on
 * the provider.
 */
export class SchedulerSettings {
  leaseTtlSeconds = 60;
  nodeTtlSeconds = 45;
  heartbeatIntervalSeconds = 15;
  placementBatch = 64;
  placementIntervalMs = 250;
  sweepIntervalMs = 1000;
  /** A job no node can take right now is looked at again after this long (keeps the queue head from blocking). */
  unplaceableRetryMs = 2000;
  /** Background loops on/off (the bench and some tests drive placement themselves). */
  loops = true;

  static fromConfig(c: AppConfig['scheduler']): SchedulerSettings {
    return Object.assign(new SchedulerSettings(), {
      leaseTtlSeconds: c.leaseTtlSeconds,
      nodeTtlSeconds: c.nodeTtlSeconds,
      heartbeatIntervalSeconds: c.heartbeatIntervalSeconds,
      placementIntervalMs: c.placementIntervalMs,
      sweepIntervalMs: c.sweepIntervalMs,
    });
  }
}
