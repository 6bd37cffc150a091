// Product page latency with a warm cache (every request a Redis hit) vs a cold one (every request a
// miss: the page's key is deleted right before it, so the facade composes it from item-crud and
// Elasticsearch), at the same concurrency, in one run; then thumbnail delivery throughput through the
// facade vs MinIO itself (a presigned GET of the same object) at the same concurrency.
// Talks to the running facade directly (the proxy's rate limit would cap the run); needs ./make.sh up
// with the demo catalog (the seed). Usage: node bench/product.ts [--connections 8] [--seconds 10]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Client as Minio } from 'minio';
import { Pool } from 'undici';
import { png } from '../facade/test/png.ts';
import { load, percentile, round } from './load.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '10' },
    'thumb-connections': { type: 'string', default: '32' },
  },
});
const connections = Number(values.connections);
const durationMs = Number(values.seconds) * 1000;
const thumbConnections = Number(values['thumb-connections']);
const FACADE = process.env.FACADE_URL ?? 'http://127.0.0.1:8085';
const ITEM_CRUD = process.env.ITEM_CRUD_URL ?? 'http://127.0.0.1:8082';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const ES = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');


/** Active item ids of the demo catalog, from the index. */
async function itemIds(count: number): Promise<string[]> {
  const res = await fetch(`${ES}/items/_search`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: count, _source: ['id'], query: { term: { status: 'active' } }, sort: [{ id: 'asc' }] }),
  });
  const body = (await res.json()) as { hits: { hits: { _source: { id: string } }[] } };
  return body.hits.hits.map((h) => h._source.id);
}

interface Run { requests: number; errors: number; seconds: number; rps: number; p50Ms: number; p90Ms: number; p99Ms: number; statuses: Record<string, number>; xCache: Record<string, number> }

/**
 * Closed loop like load.ts, but over many product ids (round robin, so no two connections ask for the
 * same product at once), optionally deleting the cached page right before each request (not timed).
 */
async function productRun(ids: string[], cold: boolean): Promise<Run> {
  const pool = new Pool(FACADE, { connections, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const xCache: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const run = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const id = ids[next++ % ids.length]!;
      if (cold) await redis.del(`product:${id}`);
      const started = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path: `/api/products/${id}` });
        await res.body.dump();
        if (record) {
          latencies.push(performance.now() - started);
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          const cache = String(res.headers['x-cache']);
          xCache[cache] = (xCache[cache] ?? 0) + 1;
        }
      } catch {
        if (record) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, () => run(performance.now() + 1_000, false)));
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, () => run(started + durationMs, true)));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length, errors, seconds: round(seconds), rps: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)), p90Ms: round(percentile(latencies, 90)), p99Ms: round(percentile(latencies, 99)), statuses, xCache,
  };
}

/** A seller, an item and one uploaded 400×300 PNG with pixel noise (a ~12 KB WebP thumbnail, like a photo's): the thumbnail item-crud made of it. */
async function thumbnail(): Promise<{ url: string; key: string; bytes: number; contentType: string; cleanUp: () => Promise<unknown> }> {
  const email = `bench-product-${randomBytes(6).toString('hex')}@example.com`;
  const password = 'benchmark password 1';
  const sso = (path: string, body: unknown) => fetch(`${SSO}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0]! % 250)}` }, body: JSON.stringify(body),
  });
  await sso('/api/auth/register', { email, password, name: 'Bench seller', role: 'seller' });
  const { accessToken } = (await (await sso('/api/auth/login', { email, password })).json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };
  const created = await fetch(`${ITEM_CRUD}/api/items`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench camera', description: 'thumbnail benchmark', brand: 'Bench', category: 'laptops', price: '100.00', stock: 1 }),
  });
  const item = (await created.json()) as { id: string };
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(png(400, 300, 20))], { type: 'image/png' }), 'bench.png');
  const uploaded = await fetch(`${ITEM_CRUD}/api/items/${item.id}/images`, { method: 'POST', headers: auth, body: form });
  if (uploaded.status !== 201) throw new Error(`upload failed: ${uploaded.status} ${await uploaded.text()}`);
  const { thumbUrl } = (await uploaded.json()) as { thumbUrl: string };
  const res = await fetch(`${FACADE}${thumbUrl}`);
  const bytes = (await res.arrayBuffer()).byteLength;
  const [, , , itemId, imageId] = thumbUrl.split('?')[0]!.split('/');
  return {
    url: `${FACADE}${thumbUrl}`, key: `items/${itemId}/${imageId}/thumb`, bytes, contentType: res.headers.get('content-type') ?? '',
    // The bench item leaves the catalog (and search) again; its image objects stay, as for any deleted item.
    cleanUp: () => fetch(`${ITEM_CRUD}/api/items/${item.id}`, { method: 'DELETE', headers: auth }),
  };
}

try {
  const ids = await itemIds(500);
  if (ids.length < connections * 4) throw new Error(`only ${ids.length} indexed items: run ./make.sh up (it seeds the demo catalog)`);
  // Warm: every page built once, then each request is a hit.
  const warmIds = ids.slice(0, 200);
  for (const id of warmIds) await fetch(`${FACADE}/api/products/${id}`).then((r) => r.arrayBuffer());
  const warm = await productRun(warmIds, false);
  const cold = await productRun(ids, true);

  const thumb = await thumbnail();
  const thumbs = await load({ url: thumb.url, connections: thumbConnections, durationMs });
  const minioUrl = new URL(process.env.MINIO_ENDPOINT ?? 'http://127.0.0.1:9000');
  const minio = new Minio({
    endPoint: minioUrl.hostname, port: Number(minioUrl.port || 80), useSSL: minioUrl.protocol === 'https:',
    accessKey: process.env.MINIO_ACCESS_KEY ?? process.env.MINIO_ROOT_USER ?? 'shopminio',
    secretKey: process.env.MINIO_SECRET_KEY ?? process.env.MINIO_ROOT_PASSWORD ?? 'shopminio-secret',
  });
  const direct = await load({ url: await minio.presignedGetObject(process.env.MINIO_BUCKET ?? 'item-images', thumb.key, 600), connections: thumbConnections, durationMs });
  await thumb.cleanUp();
  console.log(JSON.stringify({
    benchmark: 'product-page',
    target: FACADE,
    connections, seconds: durationMs / 1000,
    productPage: {
      route: 'GET /api/products/:id',
      warm: { products: warmIds.length, ...warm },
      cold: { products: ids.length, ...cold },
      hitP50OverMissP50: round(warm.p50Ms / cold.p50Ms),
      hitP99OverMissP99: round(warm.p99Ms / cold.p99Ms),
      goals: { hitP50OverMissP50AtMost: 0.2 },
    },
    thumbnails: {
      route: 'GET /api/images/:itemId/:imageId?size=thumb',
      contentType: thumb.contentType, bytes: thumb.bytes, connections: thumbConnections,
      facade: { ...thumbs, mbPerSec: round((thumbs.rps * thumb.bytes) / 1e6) },
      minioDirect: { ...direct, mbPerSec: round((direct.rps * thumb.bytes) / 1e6) },
      throughputRatio: round(thumbs.rps / direct.rps),
    },
  }, null, 2));
} finally {
  redis.disconnect();
}
