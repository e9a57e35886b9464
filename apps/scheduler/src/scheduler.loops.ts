import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER } from '@confide/platform';
import type { Logger } from 'pino';
import { SchedulerSettings } from './common/scheduler.settings.js';
import { PlacementService } from './placement/placement.service.js';
import { SweeperService } from './sweeper/sweeper.service.js';

/** The placement and sweeper loops of this replica; safe to run on every replica at once. */
@Injectable()
export class SchedulerLoops implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];
  private running: Array<Promise<void>> = [];

  constructor(
    @Inject(PlacementService) private readonly placement: PlacementService,
    @Inject(SweeperService) private readonly sweeper: SweeperService,
    @Inject(SchedulerSettings) private readonly settings: SchedulerSettings,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.loop('placement', async () => (await this.placement.placeBatch()).placed > 0, () => this.settings.placementIntervalMs);
    let sweeps = 0;
    this.loop(
      'sweeper',
      async () => {
        const n = await this.sweeper.sweep();
        if (++sweeps % 60 === 0) await this.sweeper.pruneProofs();
        return n > 0;
      },
      () => this.settings.sweepIntervalMs,
    );
  }

  private loop(name: string, step: () => Promise<boolean>, interval: () => number): void {
    const tick = (): void => {
      if (this.stopping) return;
      if (!this.settings.loops) {
        this.timers.push(setTimeout(tick, interval()));
        return;
      }
      const run = step()
        .then((busy) => {
          if (!this.stopping) this.timers.push(setTimeout(tick, busy ? 0 : interval()));
        })
        .catch((err: unknown) => {
          this.log.error({ err, loop: name }, 'scheduler loop failed');
          if (!this.stopping) this.timers.push(setTimeout(tick, 1000));
        });
      this.running = [...this.running.filter((r) => r !== run), run];
    };
    this.timers.push(setTimeout(tick, interval()));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled(this.running);
  }
}
