// Search and suggest latency at a fixed request rate: through the proxy (the whole path: proxy,
// search service, Redis, Elasticsearch) vs. the very same Elasticsearch requests sent directly, with
// the search cache off and on, in one run. Prints JSON.
// Needs ./make.sh up (with the demo catalog). Starts its own search services (cache off: 18084,
// cache on: 18094) and a proxy in front of each (18080, 18090) with a rate limit that cannot interfere.
// Usage: node bench/search.ts [--rate 40] [--seconds 10]
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildSearch, type SearchParams } from '../search/src/query.ts';
import { SearchService } from '../search/src/services/search.ts';
import { suggestSearches, variants } from '../search/src/services/suggest.ts';
import { SynonymFile } from '../search/src/synonyms.ts';
import { loadAtRate, type LoadResult, type PlannedRequest } from './load.ts';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '40' }, seconds: { type: 'string', default: '10' } } });
const rate = Number(values.rate);
const durationMs = Number(values.seconds) * 1000;
const ES = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ALIAS = 'items';

const children: ChildProcess[] = [];
function start(script: string, env: Record<string, string>): void {
  const child = spawn(process.execPath, [script], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
}
async function ready(url: string) {
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) return;
    if (i > 150) throw new Error(`${url} did not become ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const searchEnv = { ELASTICSEARCH_URL: ES, REDIS_URL, ITEMS_ALIAS: ALIAS, SEARCH_REDIS_PREFIX: 'bench-search' };
const proxyEnv = (port: number, search: string) => ({
  PORT: String(port), RATE_LIMIT_MAX: '1000000000', REDIS_URL, SSO_URL: 'http://127.0.0.1:8081', ITEM_CRUD_URL: 'http://127.0.0.1:8082',
  ITEM_ETL_URL: 'http://127.0.0.1:8083', SEARCH_URL: search, FACADE_URL: 'http://127.0.0.1:8085',
});
const NO_CACHE = { search: 'http://127.0.0.1:18084', proxy: 'http://127.0.0.1:18080' };
const CACHE = { search: 'http://127.0.0.1:18094', proxy: 'http://127.0.0.1:18090' };

// A shop's query mix: words, brands, two-word queries, both languages, filters, sorts, browsing.
const MIX: Partial<SearchParams>[] = [
  { q: 'кроссовки' }, { q: 'nike' }, { q: 'ноутбук' }, { q: 'laptop' }, { q: 'наушники sony' }, { q: 'samsung phone' },
  { q: 'кроссовки', brand: ['Nike', 'Adidas'] }, { q: 'ноутбук', sort: 'price_asc' }, { q: 'куртка', inStock: true },
  { category: 'laptops' }, { category: 'clothing', sort: 'newest' }, { q: 'футболка', priceMin: 500, priceMax: 5000 },
  { q: 'running shoes' }, { q: 'телевизор' }, { q: 'lenovo laptop' }, { q: 'джинсы', sort: 'rating' },
];
const PREFIXES = ['кр', 'кросс', 'ноут', 'lap', 'sam', 'nik', 'наушн', 'rhj', 'yjen', 'iph', 'кур', 'tel'];

function queryString(p: Partial<SearchParams>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) for (const value of Array.isArray(v) ? v : [v]) qs.append(k, String(value));
  return qs.toString();
}

try {
  start('search/src/main.ts', { ...searchEnv, PORT: '18084', SEARCH_CACHE_TTL_MS: '0' });
  start('search/src/main.ts', { ...searchEnv, PORT: '18094', SEARCH_CACHE_TTL_MS: '1000' });
  start('proxy/src/main.ts', proxyEnv(18080, NO_CACHE.search));
  start('proxy/src/main.ts', proxyEnv(18090, CACHE.search));
  await Promise.all([NO_CACHE.search, CACHE.search, NO_CACHE.proxy, CACHE.proxy].map((u) => ready(u.replace(/\/$/, ''))));

  // The Elasticsearch request the service sends for each query of the mix (the service's own builder
  // and synonym list). Only queries answered as typed are used: a fallback costs more round trips.
  const synonyms = new SynonymFile({ file: 'search/synonyms.txt', pollMs: 60_000 });
  await synonyms.start();
  synonyms.stop();
  const planner = new SearchService(undefined as never, ALIAS, () => synonyms.rules);
  const searches: { path: string; esBody: string }[] = [];
  for (const m of MIX) {
    const params: SearchParams = { sort: 'relevance', page: 1, size: 20, ...m };
    const path = `/api/search?${queryString(m)}`;
    const res = (await (await fetch(`${NO_CACHE.search}${path}`)).json()) as { total: number; correction?: unknown };
    if (!res.total || res.correction) continue;
    searches.push({ path, esBody: JSON.stringify(buildSearch(params, params.q ? await planner.plan(params.q) : undefined)) });
  }
  if (!searches.length) throw new Error('no query of the mix finds anything: is the demo catalog loaded (./make.sh up)?');
  const suggests = PREFIXES.map((q) => ({
    path: `/api/search/suggest?q=${encodeURIComponent(q)}`,
    esBody: `${suggestSearches(variants(q), ALIAS, 'categories').map((line) => JSON.stringify(line)).join('\n')}\n`,
  }));

  const json = { 'content-type': 'application/json' };
  const ndjson = { 'content-type': 'application/x-ndjson' };
  const phase = (next: (n: number) => PlannedRequest) => loadAtRate({ rate, durationMs, next });
  const run = async (list: { path: string; esBody: string }[], esPath: string, headers: Record<string, string>) => {
    const direct = await phase((n) => ({ origin: ES, path: esPath, method: 'POST', headers, body: list[n % list.length]!.esBody }));
    const proxyNoCache = await phase((n) => ({ origin: NO_CACHE.proxy, path: list[n % list.length]!.path }));
    const proxyCache = await phase((n) => ({ origin: CACHE.proxy, path: list[n % list.length]!.path }));
    const summary = (r: LoadResult) => ({ p50Ms: r.p50Ms, p90Ms: r.p90Ms, p99Ms: r.p99Ms, requests: r.requests, errors: r.errors, statuses: r.statuses });
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return {
      distinctRequests: list.length,
      directElasticsearch: summary(direct),
      proxyCacheOff: summary(proxyNoCache),
      proxyCacheOn: summary(proxyCache),
      p99RatioCacheOff: ratio(proxyNoCache.p99Ms, direct.p99Ms),
      p99RatioCacheOn: ratio(proxyCache.p99Ms, direct.p99Ms),
      p50RatioCacheOff: ratio(proxyNoCache.p50Ms, direct.p50Ms),
      p50RatioCacheOn: ratio(proxyCache.p50Ms, direct.p50Ms),
    };
  };
  const search = await run(searches, `/${ALIAS}/_search`, json);
  const suggest = await run(suggests, '/_msearch', ndjson);
  console.log(JSON.stringify({
    benchmark: 'search-latency', ratePerSecond: rate, secondsPerPhase: durationMs / 1000, goal: 'p99 through the proxy <= 1.3x direct Elasticsearch',
    search, suggest,
  }, null, 2));
} finally {
  for (const child of children) child.kill('SIGTERM');
}
