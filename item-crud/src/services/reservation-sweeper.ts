import type { FastifyBaseLogger } from 'fastify';
import type { ReservationService } from './reservations.ts';

/**
 * Releases expired held reservations every `intervalMs` (each round in one transaction under an advisory lock,
 * so with several instances one sweeps at a time), and refreshes the reservation gauges.
 */
export class ReservationSweeper {
  readonly #reservations: ReservationService;
  readonly #intervalMs: number;
  readonly #log: FastifyBaseLogger;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #stopped = true;

  constructor(reservations: ReservationService, intervalMs: number, log: FastifyBaseLogger) {
    this.#reservations = reservations;
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
  }

  /** One round now: releases what expired (in batches until none is left), then measures. */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const released = await this.#reservations.sweepExpired();
      if (released === null || released === 0) break;
      total += released;
      this.#log.info({ released }, 'expired reservations released');
      if (this.#stopped) break;
    }
    await this.#reservations.measure();
    return total;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = this.runOnce().then(() => undefined, (err: unknown) => this.#log.error({ err }, 'reservation sweep failed; retrying next interval'))
        .finally(() => this.#schedule());
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
