import { HttpProblem } from '@shop/kit';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * Reserves `ARGV[1]` requests of the client's current window: a fixed window that starts with the
 * client's first request anywhere (the key's TTL), shared by every proxy instance. Answers the
 * window's total reservations (everyone's, this one included) and the time left in it.
 */
const LEASE_SCRIPT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {total, ttl}
`;

type LeaseCommand = (key: string, count: number, windowMs: number) => Promise<[number, number]>;

export interface RateLimiterOptions {
  redis: Redis;
  /** Requests per client per window, across all proxy instances. */
  max: number;
  windowMs: number;
  /** Requests reserved from Redis at a time per client (default: 5 % of max, 1..100). */
  lease?: number;
  prefix?: string;
  /** A lease Redis has not granted by then is granted locally (Redis slow or down). */
  redisTimeoutMs?: number;
  onRedisError?: (err: Error) => void;
  now?: () => number;
}

/** One client's state in the current window, as this instance knows it. */
class Window {
  /** Requests reserved in Redis for this instance and not used yet. */
  tokens = 0;
  /** The window's reservations across all instances, as Redis last reported them. */
  reserved = 0;
  /** Local clock time the window ends (never later than Redis's end of it). */
  resetAt = 0;
  /** Redis has nothing left to reserve in this window. */
  exhausted = false;
  /** Requests this instance let through in this window (the cap while Redis is unavailable). */
  admitted = 0;
  fetching: Promise<void> | undefined;
}

export interface RateState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * A fixed-window limit per client, counted in Redis and shared by all proxy instances, without a
 * Redis round trip per request: each instance reserves requests in batches (leases) with one atomic
 * INCRBY and lets them through locally; it reserves the next batch before the current one runs out.
 *
 * Correctness: Redis never hands out more than `max` reservations per window, so a client never
 * gets more than `max` requests through all instances together. The tolerance is the other way:
 * reservations an instance holds but does not use (the client moved to other instances) are lost
 * for that window, so with N instances a client can be refused up to (N−1) × ~1.25 leases early.
 * With one instance the limit is exact. While Redis is unavailable each instance counts alone
 * (at most `max` per window per instance) rather than refuse everyone.
 */
export class RateLimiter {
  readonly max: number;
  readonly windowMs: number;
  readonly lease: number;
  readonly #lowWater: number;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #lease: LeaseCommand;
  readonly #now: () => number;
  readonly #onRedisError: (err: Error) => void;
  readonly #windows = new Map<string, Window>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: RateLimiterOptions) {
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.lease = Math.max(1, Math.min(options.lease ?? Math.min(100, Math.floor(options.max / 20)), options.max));
    // Refill in the background once a quarter of the lease is left; a lease of 1..3 is refilled on demand.
    this.#lowWater = Math.floor(this.lease / 4);
    this.#prefix = options.prefix ?? 'proxy-rate:';
    this.#timeoutMs = options.redisTimeoutMs ?? 1_000;
    this.#now = options.now ?? Date.now;
    this.#onRedisError = options.onRedisError ?? (() => undefined);
    const redis = options.redis as Redis & { proxyRateLease?: LeaseCommand };
    if (!redis.proxyRateLease) redis.defineCommand('proxyRateLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.#lease = (key, count, windowMs) => (redis as unknown as { proxyRateLease: LeaseCommand }).proxyRateLease(key, count, windowMs);
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(this.windowMs, 60_000));
    this.#sweeper.unref();
  }

  /** Counts one request of `key`: true to let it through, false when its window is used up. */
  take(key: string): boolean | Promise<boolean> {
    let w = this.#windows.get(key);
    if (w === undefined) {
      w = new Window();
      this.#windows.set(key, w);
    }
    if (this.#now() >= w.resetAt) {
      // The window is over (or never began): what is left of it is void; reserve in the next one.
      w.tokens = 0;
      w.exhausted = false;
      return this.#reserve(key, w).then(() => this.take(key));
    }
    if (w.tokens > 0) {
      w.tokens--;
      w.admitted++;
      if (w.tokens <= this.#lowWater && this.#lowWater > 0 && !w.exhausted && w.fetching === undefined) {
        void this.#reserve(key, w);
      }
      return true;
    }
    if (w.exhausted) return false;
    return this.#reserve(key, w).then(() => this.take(key));
  }

  /** The numbers for the `x-ratelimit-*` headers after `take`. */
  state(key: string): RateState {
    const w = this.#windows.get(key);
    const now = this.#now();
    if (w === undefined) return { limit: this.max, remaining: this.max, resetSeconds: Math.ceil(this.windowMs / 1000) };
    return {
      limit: this.max,
      remaining: Math.max(0, this.max - w.reserved + w.tokens),
      resetSeconds: Math.max(1, Math.ceil((w.resetAt - now) / 1000)),
    };
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  #reserve(key: string, w: Window): Promise<void> {
    w.fetching ??= (async () => {
      const count = this.lease;
      const sentAt = this.#now();
      let answer: [number, number];
      try {
        answer = await this.#withTimeout(this.#lease(this.#prefix + key, count, this.windowMs));
      } catch (err) {
        this.#onRedisError(err as Error);
        this.#grantLocally(w, count);
        return;
      }
      const [total, ttl] = answer;
      const granted = Math.max(0, Math.min(count, this.max - (total - count)));
      const now = this.#now();
      if (total === count || now >= w.resetAt) {
        // A new window (the key was created by this reservation, or ours ran out meanwhile).
        w.tokens = granted;
        w.admitted = 0;
        w.resetAt = sentAt + Number(ttl);
      } else {
        w.tokens += granted;
      }
      w.reserved = total;
      w.exhausted = total >= this.max;
    })().finally(() => {
      w.fetching = undefined;
    });
    return w.fetching;
  }

  /** Redis unavailable: this instance counts on its own, up to `max` per window. */
  #grantLocally(w: Window, count: number): void {
    const now = this.#now();
    if (now >= w.resetAt) {
      w.admitted = 0;
      w.tokens = 0;
      w.resetAt = now + this.windowMs;
    }
    const granted = Math.max(0, Math.min(count, this.max - w.admitted - w.tokens));
    w.tokens += granted;
    w.reserved = w.admitted + w.tokens;
    w.exhausted = granted < count;
  }

  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, w] of this.#windows) if (now >= w.resetAt && w.fetching === undefined) this.#windows.delete(key);
  }
}

function per(windowMs: number): string {
  if (windowMs % 60_000 === 0) return windowMs === 60_000 ? 'minute' : `${windowMs / 60_000} minutes`;
  return `${windowMs / 1000} seconds`;
}

export interface RateLimitHookOptions {
  /** The client: the verified user if any, else the address. */
  keyFor(request: FastifyRequest): string;
  /** Requests that are never limited (probes, scrapes). */
  skip(request: FastifyRequest): boolean;
}

/** onRequest: counts the request, sets `x-ratelimit-*`, answers 429 problem+json with Retry-After over the limit. */
export function rateLimitHook(limiter: RateLimiter, options: RateLimitHookOptions) {
  const limit = String(limiter.max);
  const refuse = (reply: FastifyReply, key: string, done: HookHandlerDoneFunction) => {
    const { resetSeconds } = limiter.state(key);
    reply.header('x-ratelimit-limit', limit).header('x-ratelimit-remaining', '0').header('x-ratelimit-reset', String(resetSeconds));
    done(new HttpProblem(429, `rate limit of ${limiter.max} requests per ${per(limiter.windowMs)} exceeded`, {
      type: 'urn:shop:problem:rate-limited', headers: { 'retry-after': String(resetSeconds) },
    }));
  };
  const admit = (reply: FastifyReply, key: string, done: HookHandlerDoneFunction) => {
    const { remaining, resetSeconds } = limiter.state(key);
    reply.header('x-ratelimit-limit', limit).header('x-ratelimit-remaining', String(remaining)).header('x-ratelimit-reset', String(resetSeconds));
    done();
  };
  return function rateLimit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (options.skip(request)) return done();
    const key = options.keyFor(request);
    const verdict = limiter.take(key);
    if (verdict === true) return admit(reply, key, done);
    if (verdict === false) return refuse(reply, key, done);
    verdict.then((ok) => (ok ? admit(reply, key, done) : refuse(reply, key, done)), done);
  };
}
