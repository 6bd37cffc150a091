// Answers cached in Redis for a short time. Keys carry a catalog generation (bumped when an item leaves or enters
// the lists: deleted, hidden, sold out, back) and, for personal lists, each shopper's own version (bumped after their
// interactions are committed), so an invalidation is one INCR and an answer computed before it is written under a
// key nobody reads any more. Redis slow or down: no cache (every call gives up after `timeoutMs`), never an error.
import type { Redis } from 'ioredis';

export const GENERATION_KEY = 'rec:gen';
export const actorKey = (actor: string) => `rec:actor:${actor}`;
const ACTOR_VERSION_TTL_S = 7 * 86_400;

export class AnswerCache {
  readonly #redis: Redis | undefined;
  readonly #ttlSeconds: number;
  readonly #timeoutMs: number;
  constructor(redis: Redis | undefined, ttlSeconds: number, timeoutMs: number) {
    this.#redis = redis;
    this.#ttlSeconds = ttlSeconds;
    this.#timeoutMs = timeoutMs;
  }

  #bounded<T>(work: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#timeoutMs);
    });
    return Promise.race([work.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
  }

  get enabled() {
    return !!this.#redis && this.#ttlSeconds > 0;
  }

  /** The key of an answer under the current generation (and the actors' versions); undefined: no cache now. */
  async key(parts: string, actors: string[] = []): Promise<string | undefined> {
    if (!this.enabled) return undefined;
    const versions = await this.#bounded(this.#redis!.mget(GENERATION_KEY, ...actors.map(actorKey)));
    if (!versions) return undefined;
    return `rec:answer:${versions.map((v) => v ?? '0').join('.')}:${parts}`;
  }

  async get(key: string | undefined): Promise<string | undefined> {
    if (!key) return undefined;
    return (await this.#bounded(this.#redis!.get(key))) ?? undefined;
  }

  async set(key: string | undefined, value: string): Promise<void> {
    if (key) await this.#bounded(this.#redis!.set(key, value, 'EX', this.#ttlSeconds));
  }

  /** After a shopper's interactions were committed: their cached personal lists are no longer read. */
  async invalidateActors(actors: Iterable<string>): Promise<boolean> {
    const list = [...actors];
    if (!this.#redis || !list.length) return true;
    const multi = this.#redis.multi();
    for (const a of list) multi.incr(actorKey(a)).expire(actorKey(a), ACTOR_VERSION_TTL_S);
    return (await this.#bounded(multi.exec())) !== undefined;
  }

  /** After an item left or entered the lists: every cached answer is no longer read. */
  async invalidateAll(): Promise<boolean> {
    if (!this.#redis) return true;
    return (await this.#bounded(this.#redis.incr(GENERATION_KEY))) !== undefined;
  }
}
