/**
 * Popular queries for suggestions, kept in Redis: a counter per normalized query (sorted set by
 * count) and the same members in a lexicographic set for prefix lookups. Only queries that found
 * something are counted, and only short ones; the set is trimmed to the most frequent entries.
 */
import type { App } from '@shop/kit';

type Redis = Pick<App['redis'], 'eval'>;

/** The two keys under a prefix (`search` in production; tests use their own). */
export const popularKeys = (prefix: string) => ({ counts: `${prefix}:popular:counts`, lex: `${prefix}:popular:lex` });
/** How many distinct queries are remembered (the least frequent go first). */
export const POPULAR_MAX_ENTRIES = 20_000;
/** A query is suggested only after this many searches (one person's typo is not "popular"). */
export const POPULAR_MIN_COUNT = 2;
export const POPULAR_MAX_LENGTH = 60;
export const POPULAR_MAX_WORDS = 6;

const RECORD = `
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
local max = tonumber(ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
if n > max + math.floor(max / 10) then
  local drop = redis.call('ZRANGE', KEYS[1], 0, n - max - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1)
  for i = 1, #drop, 500 do
    redis.call('ZREM', KEYS[2], unpack(drop, i, math.min(i + 499, #drop)))
  end
end
return n
`;

/** Members of the lexicographic set in [ARGV[1], ARGV[2]] (up to 200) and their counts. */
const COMPLETE = `
local members = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, 200)
if #members == 0 then return {{}, {}} end
return {members, redis.call('ZMSCORE', KEYS[2], unpack(members))}
`;

/** Replaces both sets with ARGV = query, score, query, score, ... (one script: readers never see half a list). */
const REPLACE = `
redis.call('DEL', KEYS[1], KEYS[2])
for i = 1, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  redis.call('ZADD', KEYS[2], 0, ARGV[i])
end
return #ARGV / 2
`;

export class PopularQueries {
  readonly #redis: Redis;
  readonly #keys: ReturnType<typeof popularKeys>;
  readonly #minScore: number;
  /** `minScore`: what a query needs to be suggested (a count of searches; analytics' lists are already filtered: 0). */
  constructor(redis: Redis, prefix: string, minScore = POPULAR_MIN_COUNT) {
    this.#redis = redis;
    this.#keys = popularKeys(prefix);
    this.#minScore = minScore;
  }

  /**
   * The whole list from analytics' aggregates (each shopper once per day, decaying, at least two shoppers): replaces
   * what is there. Queries too long for a suggestion are left out. Answers how many were stored.
   */
  async replace(entries: { query: string; score: number }[]): Promise<number> {
    const args = entries
      .filter((e) => e.query && e.query.length <= POPULAR_MAX_LENGTH && e.query.split(' ').length <= POPULAR_MAX_WORDS)
      .slice(0, POPULAR_MAX_ENTRIES)
      .flatMap((e) => [e.query, String(e.score)]);
    return Number(await this.#redis.eval(REPLACE, 2, this.#keys.counts, this.#keys.lex, ...args));
  }

  /** Counts a query that found something (normalized, lowercased). Failures are the caller's to ignore. */
  async record(query: string): Promise<void> {
    if (!query || query.length > POPULAR_MAX_LENGTH || query.split(' ').length > POPULAR_MAX_WORDS) return;
    await this.#redis.eval(RECORD, 2, this.#keys.counts, this.#keys.lex, query, POPULAR_MAX_ENTRIES);
  }

  /** The most searched queries starting with `prefix`, most frequent first (one round trip). */
  async complete(prefix: string, limit: number): Promise<string[]> {
    if (!prefix) return [];
    const end = Buffer.concat([Buffer.from(`[${prefix}`), Buffer.from([0xff])]);
    const [members, counts] = (await this.#redis.eval(COMPLETE, 2, this.#keys.lex, this.#keys.counts, `[${prefix}`, end)) as [string[], string[]];
    return members
      .map((m, i) => ({ m, n: Number(counts[i] ?? 0) }))
      .filter((e) => e.n >= this.#minScore)
      .sort((a, b) => b.n - a.n || a.m.localeCompare(b.m))
      .slice(0, limit)
      .map((e) => e.m);
  }
}

export interface PopularRefresherOptions {
  /** analytics' GET /api/analytics/popular-queries */
  url: string;
  intervalMs: number;
  log: { warn(obj: object, msg: string): void };
  outcomes: { inc(labels: { outcome: string }): void };
}

/** Re-reads analytics' popular queries every `intervalMs` into the Redis sets (a failed read keeps the last list). */
export class PopularRefresher {
  readonly #popular: PopularQueries;
  readonly #o: PopularRefresherOptions;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;

  constructor(popular: PopularQueries, options: PopularRefresherOptions) {
    this.#popular = popular;
    this.#o = options;
  }

  /** One read: the list replaces the sets. */
  async refresh(): Promise<void> {
    try {
      const res = await fetch(this.#o.url, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`analytics answered ${res.status}`);
      const { queries } = (await res.json()) as { queries: { query: string; score: number }[] };
      await this.#popular.replace(queries);
      this.#o.outcomes.inc({ outcome: 'ok' });
    } catch (err) {
      this.#o.outcomes.inc({ outcome: 'error' });
      this.#o.log.warn({ err }, 'popular queries not refreshed; the last list stays');
    }
  }

  start(): void {
    this.#round = this.refresh();
    this.#timer = setInterval(() => {
      this.#round = this.refresh();
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#round;
  }
}
