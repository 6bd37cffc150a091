// Collection: screen the batch (collector.ts), put the accepted events into the outbox (relayed to
// `user-activity`), count outcomes.
import type { ActivityRepository } from '../repositories/activity.ts';
import { screen, type RejectReason, type Rejected } from './collector.ts';

export interface CollectorOptions {
  maxAgeMs: number;
  maxFutureMs: number;
  onOutcome: (accepted: number, rejected: RejectReason[]) => void;
}

export class CollectorService {
  readonly #repo: ActivityRepository;
  readonly #o: CollectorOptions;
  constructor(repo: ActivityRepository, options: CollectorOptions) {
    this.#repo = repo;
    this.#o = options;
  }

  async collect(events: unknown[], caller: { userId?: string; anonymousId?: string }): Promise<{ accepted: number; rejected: Rejected[] }> {
    const { accepted, rejected } = screen(events, { now: Date.now(), ...caller, maxAgeMs: this.#o.maxAgeMs, maxFutureMs: this.#o.maxFutureMs });
    if (accepted.length) await this.#repo.collect(accepted);
    this.#o.onOutcome(accepted.length, rejected.map((r) => r.reason));
    return { accepted: accepted.length, rejected };
  }
}
