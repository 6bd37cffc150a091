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

export class PopularQueries {
  readonly #redis: Redis;
  readonly #keys: ReturnType<typeof popularKeys>;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#keys = popularKeys(prefix);
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
      .filter((e) => e.n >= POPULAR_MIN_COUNT)
      .sort((a, b) => b.n - a.n || a.m.localeCompare(b.m))
      .slice(0, limit)
      .map((e) => e.m);
  }
}
