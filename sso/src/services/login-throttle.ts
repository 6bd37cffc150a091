import type { App } from '@shop/kit';

type Redis = Pick<App['redis'], 'eval'>;
type Logger = App['log'];

export interface LoginThrottleOptions {
  /** The counters' key prefix: logins and service clients (`POST /api/auth/token`) count apart. */
  prefix?: string;
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export const LOGIN_THROTTLE_PREFIX = 'sso:login-failures';
/** Failed client authentications at the token endpoint; the "account" is the client id. */
export const CLIENT_THROTTLE_PREFIX = 'sso:client-failures';

/** Redis keys of the failure counters (exported for operators' tooling and tests). */
export const throttleKeys = (account: string, ip: string, prefix = LOGIN_THROTTLE_PREFIX) => ({
  account: `${prefix}:account:${account}`,
  ip: `${prefix}:ip:${ip}`,
});

/**
 * Atomically: refuse when either counter is at its limit (returning the seconds left of the
 * blocking window), otherwise count this attempt against both. Counting *before* the password is
 * checked means concurrent guesses cannot all slip through under the limit; a successful login gives
 * its attempt back (see RELEASE). The window is fixed, starting at the first failure.
 */
const RESERVE = `
local limits = { tonumber(ARGV[1]), tonumber(ARGV[2]) }
local window = tonumber(ARGV[3])
local wait = 0
for i = 1, 2 do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= limits[i] then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 0 then redis.call('EXPIRE', KEYS[i], window); ttl = window end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i = 1, 2 do
  redis.call('INCR', KEYS[i])
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], window) end
end
return 0
`;

/** After a successful login: forget the account's failures, give back this attempt's IP count. */
const RELEASE = `
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 0
`;

/** A Redis call slower than this counts as Redis being unavailable. */
const REDIS_TIMEOUT_MS = 500;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Brute-force protection for logins, per account (normalized email) and per client IP; the same for
 * service clients at the token endpoint (per client id and IP, with their own `prefix`).
 *
 * When Redis is unavailable the throttle FAILS OPEN: logins keep working (still paying the scrypt
 * cost per attempt), a warning is logged and `onUnavailable` is called (a metric), so an outage of
 * the cache does not become an outage of sign-in.
 */
export class LoginThrottle {
  readonly #redis: Redis;
  readonly #options: LoginThrottleOptions;
  readonly #log: Logger;
  readonly #onUnavailable: () => void;

  constructor(redis: Redis, options: LoginThrottleOptions, log: Logger, onUnavailable: () => void = () => {}) {
    this.#redis = redis;
    this.#options = options;
    this.#log = log;
    this.#onUnavailable = onUnavailable;
  }

  /** Call before checking the password; counts the attempt as a failure until `succeeded`. */
  async attempt(email: string, ip: string): Promise<ThrottleDecision> {
    const keys = throttleKeys(email, ip, this.#options.prefix);
    const { maxFailuresPerAccount, maxFailuresPerIp, windowSeconds } = this.#options;
    try {
      const wait = Number(await withTimeout(this.#redis.eval(RESERVE, 2, keys.account, keys.ip, maxFailuresPerAccount, maxFailuresPerIp, windowSeconds)));
      return wait > 0 ? { allowed: false, retryAfterSeconds: wait } : { allowed: true };
    } catch (err) {
      this.#unavailable(err);
      return { allowed: true };
    }
  }

  async succeeded(email: string, ip: string): Promise<void> {
    const keys = throttleKeys(email, ip, this.#options.prefix);
    try {
      await withTimeout(this.#redis.eval(RELEASE, 2, keys.account, keys.ip));
    } catch (err) {
      this.#unavailable(err);
    }
  }

  #unavailable(err: unknown): void {
    this.#onUnavailable();
    this.#log.warn({ err }, 'login throttle unavailable (redis); allowing the attempt (fail open)');
  }
}
