/**
 * Runs `run` every `intervalMs` on this replica (and once at start when asked), never two runs at a time; the timer
 * does not keep the process alive. A failed run goes to `onError` and the next one runs as planned.
 */
export class PeriodicTask {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(intervalMs: number, { immediately }: { immediately: boolean }): void {
    if (immediately) void this.#tick();
    this.#timer = setInterval(() => void this.#tick(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.run();
    } catch (err) {
      this.onError(err);
    } finally {
      this.#running = false;
    }
  }
}
