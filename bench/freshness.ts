// Freshness: from a PATCH returning (through the proxy) to the change being visible in
// GET /api/search. Polls the search service directly (same route and code as through the proxy)
// so that the poll loop does not trip the proxy's rate limit. Needs ./make.sh up.
// Usage: node bench/freshness.ts [--runs 30]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { api, type ApiRequest } from '../scripts/api.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' }, proxy: { type: 'string', default: 'http://127.0.0.1:8080' }, search: { type: 'string', default: 'http://127.0.0.1:8084' } } });
const RUNS = Number(values.runs);
const API = values.proxy!;
const SEARCH = values.search!;

async function call(path: string, init: ApiRequest = {}) {
  const res = await api(API, path, init);
  if (res.status >= 400) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function visible(token: string, id: string, deadlineMs = 15_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const res = await fetch(`${SEARCH}/api/search?q=${token}&size=5`);
    if (res.ok) {
      const body = (await res.json()) as { items: { id: string }[] };
      if (body.items.some((i) => i.id === id)) return performance.now();
    }
    if (performance.now() - started > deadlineMs) throw new Error(`not visible after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const email = `fresh-${randomUUID()}@bench.example`;
const password = 'freshness bench password';
await call('/api/auth/register', { method: 'POST', body: { email, password, name: 'Freshness Bench', role: 'seller' } });
const { accessToken: token } = await call('/api/auth/login', { method: 'POST', body: { email, password } });
const categories = (await call('/api/categories')) as { slug: string; children: { slug: string; children: unknown[] }[] }[];
const leaf = categories.flatMap((c) => (c.children.length ? c.children : [c]))[0]!.slug;
const first = `fresh${randomUUID().slice(0, 8)}`;
let item = await call('/api/items', { method: 'POST', token, body: { name: `Bench item ${first}`, description: 'freshness', brand: 'Bench', category: leaf, price: '100.00', stock: 1 } });
await visible(first, item.id);

const delays: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // A random pause, so that PATCHes do not line up with Elasticsearch's periodic refresh (each run
  // would otherwise start right after the refresh that ended the previous one and wait a full interval).
  await new Promise((r) => setTimeout(r, Math.random() * 1_000));
  const word = `fresh${randomUUID().slice(0, 8)}`;
  item = await call(`/api/items/${item.id}`, { method: 'PATCH', token, headers: { 'if-match': `"${item.version}"` }, body: { name: `Bench item ${word}` } });
  const patched = performance.now();
  delays.push((await visible(word, item.id)) - patched);
}
delays.sort((a, b) => a - b);
const pct = (p: number) => Math.round(delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!);
console.log(JSON.stringify({
  benchmark: 'patch-to-search-freshness', runs: RUNS,
  p50Ms: pct(50), p95Ms: pct(95), maxMs: Math.round(delays.at(-1)!), minMs: Math.round(delays[0]!),
  goal: { p95MsBelow: 2000, refreshInterval: '1s' },
}, null, 2));
