// The recommendations service's lookups, printed as JSON (needs ./make.sh up with activity in the model: the demo
// orders, a simulator run, the tests). The proxy is one of the bench's own (a child process on a free port in front
// of the running services, everything on as in production but the rate limit raised and a Redis database of its own,
// so the bench neither gets 429s nor uses up the 127.0.0.1 budget of the proxy on 8080 that other tests share).
// Sequential requests, p50/p99 in ms, of
//   GET /api/recommendations/items/:id?kind=also-viewed (items that have neighbours) and
//   GET /api/recommendations/me (anonymous shoppers with a history, by X-Anonymous-Id)
// through the proxy and directly to the service, each with the cache cold (the catalog generation bumped, so every
// first request of a key is computed: PostgreSQL, Elasticsearch ratings, the ranking) and warm (the same keys again:
// Redis hits); beside the same lookups made directly in this process (the service's Recommender on the same
// database: the queries and the ranking, no HTTP, no cache, no hydration).
// Usage: node bench/recommendations.ts [--items 200] [--actors 200] [--warm 3]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ModelRepository } from '../recommendations/src/repositories/model.ts';
import { GENERATION_KEY } from '../recommendations/src/services/cache.ts';
import { Recommender } from '../recommendations/src/services/recommender.ts';
import { DAY_MS } from '../recommendations/src/core/rank.ts';
import { freePort, waitFor } from '../test/support.ts';
import { percentile, round } from './load.ts';

const { values } = parseArgs({ options: { items: { type: 'string', default: '200' }, actors: { type: 'string', default: '200' }, warm: { type: 'string', default: '3' } } });
const ITEMS = Number(values.items);
const ACTORS = Number(values.actors);
const WARM_ROUNDS = Number(values.warm);
const DIRECT = process.env.RECOMMENDATIONS_URL ?? 'http://127.0.0.1:8091';
const DATABASE_URL = process.env.DATABASE_URL_RECOMMENDATIONS ?? 'postgresql://shop:shop@127.0.0.1:5432/recommendations';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_KEY_PREFIX = process.env.RECOMMENDATIONS_REDIS_KEY_PREFIX ?? '';

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
};

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
const redis = new Redis(REDIS_URL, { keyPrefix: REDIS_KEY_PREFIX || undefined });

const items = (await pool.query<{ item_id: string }>(
  `SELECT c.item_id FROM item_counts c JOIN items i ON i.id = c.item_id
   WHERE c.kind = 'view' AND c.count >= 2 AND i.status = 'active' AND i.stock > 0 ORDER BY c.count DESC, c.item_id LIMIT $1`, [ITEMS],
)).rows.map((r) => r.item_id);
const actors = (await pool.query<{ actor: string }>(
  `SELECT actor FROM interactions WHERE actor LIKE 'anon:%' GROUP BY actor HAVING count(DISTINCT item_id) >= 2 ORDER BY max(at) DESC LIMIT $1`, [ACTORS],
)).rows.map((r) => r.actor.slice('anon:'.length)).filter((a) => /^[A-Za-z0-9_.:-]{8,64}$/.test(a));
if (!items.length || !actors.length) throw new Error('the model is empty: run ./make.sh up (demo orders) or node scripts/simulate.ts first');

interface Lookup { path: string; headers: Record<string, string> }
const itemLookups: Lookup[] = items.map((id) => ({ path: `/api/recommendations/items/${id}?kind=also-viewed&size=10`, headers: {} }));
const meLookups: Lookup[] = actors.map((a) => ({ path: '/api/recommendations/me?size=10', headers: { 'x-anonymous-id': a } }));

async function timed(base: string, lookups: Lookup[], expect: 'hit' | 'miss') {
  const samples: number[] = [];
  let matched = 0;
  for (const l of lookups) {
    const started = performance.now();
    const res = await fetch(`${base}${l.path}`, { headers: l.headers });
    await res.arrayBuffer();
    samples.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`${l.path}: ${res.status}`);
    if (res.headers.get('x-cache') === expect) matched++;
  }
  return { ...stats(samples), [expect === 'hit' ? 'hits' : 'misses']: matched };
}

async function measure(base: string) {
  const out: Record<string, unknown> = {};
  for (const [name, lookups] of [['items', itemLookups], ['me', meLookups]] as const) {
    await redis.incr(GENERATION_KEY); // every cached answer stops being read: the next request of each key is cold
    const cold = await timed(base, lookups, 'miss');
    const warmRuns = [];
    for (let r = 0; r < WARM_ROUNDS; r++) warmRuns.push(...lookups);
    const warm = await timed(base, warmRuns, 'hit');
    out[name] = { cold, warm };
  }
  return out;
}

const proxyPort = await freePort();
const PROXY = `http://127.0.0.1:${proxyPort}`;
const local = 'http://127.0.0.1';
const proxyChild = spawn(process.execPath, ['proxy/src/main.ts'], {
  env: {
    ...process.env, HOST: '127.0.0.1', PORT: String(proxyPort), LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000000', REDIS_URL: `${REDIS_URL.replace(/\/\d*$/, '')}/14`,
    SSO_URL: `${local}:8081`, ITEM_CRUD_URL: `${local}:8082`, ITEM_ETL_URL: `${local}:8083`, SEARCH_URL: `${local}:8084`, FACADE_URL: `${local}:8085`, CART_URL: `${local}:8086`,
    LOMS_URL: `${local}:8087`, ORDERS_URL: `${local}:8088`, NOTIFIER_URL: `${local}:8089`, ANALYTICS_URL: `${local}:8090`, RECOMMENDATIONS_URL: DIRECT, COMMENT_ANALYSIS_URL: `${local}:8092`,
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
await waitFor('the bench proxy', async () => (await fetch(`${PROXY}/api/recommendations/popular?size=1`)).ok, 60_000, 200);

// warm the connections (first fetch, JIT) without measuring
for (let round = 0; round < 5; round++) for (const base of [PROXY, DIRECT]) for (const l of [...itemLookups.slice(0, 20), ...meLookups.slice(0, 20)]) await (await fetch(`${base}${l.path}`, { headers: l.headers })).arrayBuffer();

const proxy = await measure(PROXY);
const direct = await measure(DIRECT);

const repo = new ModelRepository(pool, { popularHalfLifeMs: 7 * DAY_MS, sessionGapMs: 30 * 60_000, sessionItems: 50 });
const recommender = new Recommender(repo, undefined, { maxPerBrand: 3, historySize: 50, neighbours: 50 });
const inProcess = async (fn: () => Promise<unknown>, n: number) => {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return samples;
};
let i = 0;
const itemsDirect = stats(await inProcess(() => recommender.also(items[i++ % items.length]!, 'also-viewed', 10), items.length));
i = 0;
const meDirect = stats(await inProcess(() => recommender.personal([`anon:${actors[i++ % actors.length]!}`], 10), actors.length));

console.log(JSON.stringify({
  items: items.length, actors: actors.length, warmRounds: WARM_ROUNDS,
  proxy, direct, inProcessNoCache: { items: itemsDirect, me: meDirect },
}, null, 2));
proxyChild.kill('SIGTERM');
await redis.quit();
await pool.end();
