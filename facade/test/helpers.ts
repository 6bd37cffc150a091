// Shared set-up of the facade tests: the app built in-process against the real Redis, Kafka,
// Elasticsearch and MinIO and the running item-crud and sso (addresses from the environment,
// loopback defaults). Every app gets its own consumer group, so the running facade is undisturbed.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client as MinioClient } from 'minio';
import type { App } from '@shop/kit';
import { buildService } from '../src/app.ts';
import { sleep, ssoPost, waitFor } from '../../test/support.ts';

export { png } from './png.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
export const MINIO_ENDPOINT = process.env.MINIO_ENDPOINT ?? 'http://127.0.0.1:9000';
export const MINIO_ACCESS_KEY = process.env.MINIO_ACCESS_KEY ?? process.env.MINIO_ROOT_USER ?? 'shopminio';
export const MINIO_SECRET_KEY = process.env.MINIO_SECRET_KEY ?? process.env.MINIO_ROOT_PASSWORD ?? 'shopminio-secret';
export const MINIO_BUCKET = process.env.MINIO_BUCKET ?? 'item-images';
export const ITEM_CRUD_URL = process.env.ITEM_CRUD_URL ?? 'http://127.0.0.1:8082';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
export const FACADE_URL = process.env.FACADE_URL ?? 'http://127.0.0.1:8085';
export const PROXY_URL = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
export const PASSWORD = 'facade test password';

export { sleep, waitFor };

/** This test process's key prefix in Redis (apps and the tests' own clients use it alike). */
export const REDIS_KEY_PREFIX = `facade-test-${randomBytes(4).toString('hex')}:`;

export const testEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  REDIS_URL, KAFKA_BROKERS, ELASTICSEARCH_URL, MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY, MINIO_BUCKET, ITEM_CRUD_URL,
  FACADE_GROUP_ID: `facade-test-${randomBytes(4).toString('hex')}`,
  // The running facade invalidates the same items (its own consumer group gets the same events):
  // the test apps keep their pages under their own keys so its invalidations cannot race the test's.
  REDIS_KEY_PREFIX,
  ...extra,
});

const groups: string[] = [];

/** An in-process facade; `waitForConsumer` waits until its invalidation consumer fetches. */
export async function startApp(extra: Record<string, string> = {}, options: { waitForConsumer?: boolean } = {}): Promise<App> {
  const env = testEnv(extra);
  groups.push(env.FACADE_GROUP_ID!);
  const { app } = await buildService(env);
  await app.ready();
  if (options.waitForConsumer) await waitFor('the invalidation consumer to fetch', () => app.facade.invalidation?.ready, 60_000, 100);
  return app;
}

/** Removes the consumer groups the test apps made (after the apps closed). */
export async function deleteTestGroups(): Promise<void> {
  if (groups.length === 0) return;
  const admin = kafka().admin();
  await admin.connect();
  await admin.deleteGroups(groups.splice(0)).catch(() => undefined);
  await admin.disconnect();
}

export const kafka = () => new Kafka({ clientId: 'facade-test', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });

/** The value of one Prometheus series (0 when absent), e.g. metric(app, 'facade_upstream_requests_total', { source: 'item' }). */
export async function metric(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await app.inject('/metrics')).body;
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

// ------------------------------------------------------------------ users and items (the running sso and item-crud)

export interface User { id: string; email: string; token: string; auth: { authorization: string } }

const ssoCall = <T>(path: string, body: unknown) => ssoPost<T>(SSO_URL, path, body);

export async function newSeller(label = 'seller', role: 'seller' | 'customer' = 'seller'): Promise<User> {
  const email = `facade-${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@test.example`;
  const { id } = await ssoCall<{ id: string }>('/api/auth/register', { email, password: PASSWORD, name: `Facade ${label}`, role });
  const { accessToken } = await ssoCall<{ accessToken: string }>('/api/auth/login', { email, password: PASSWORD });
  return { id, email, token: accessToken, auth: { authorization: `Bearer ${accessToken}` } };
}

export interface ItemJson { id: string; sellerId: string; name: string; version: number; price: string; images: { id: string }[]; [k: string]: unknown }

export async function crud<T = unknown>(method: string, path: string, user?: User, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${ITEM_CRUD_URL}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(user?.auth ?? {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export async function createItem(user: User, overrides: Record<string, unknown> = {}): Promise<ItemJson> {
  const res = await crud<ItemJson>('POST', '/api/items', user, {
    name: `Facade test kettle ${randomBytes(3).toString('hex')}`, description: 'Electric kettle, 1.7 l, steel', brand: 'Bosch',
    category: 'laptops', price: '2499.00', stock: 3, ...overrides,
  });
  if (res.status !== 201) throw new Error(`create item: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function patchItem(user: User, item: { id: string; version: number }, body: Record<string, unknown>): Promise<ItemJson> {
  const res = await crud<ItemJson>('PATCH', `/api/items/${item.id}`, user, body, { 'if-match': String(item.version) });
  if (res.status !== 200) throw new Error(`patch item: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Uploads one image to item-crud (multipart, one file part). */
export async function uploadImage(user: User, itemId: string, bytes: Buffer, type = 'image/png'): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), 'picture.png');
  const res = await fetch(`${ITEM_CRUD_URL}/api/items/${itemId}/images`, { method: 'POST', headers: user.auth, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

// ------------------------------------------------------------------ MinIO and Redis

export function minio(): MinioClient {
  const url = new URL(MINIO_ENDPOINT);
  return new MinioClient({ endPoint: url.hostname, port: Number(url.port || 80), useSSL: url.protocol === 'https:', accessKey: MINIO_ACCESS_KEY, secretKey: MINIO_SECRET_KEY });
}

export const redis = (url = REDIS_URL) => new Redis(url, { keyPrefix: REDIS_KEY_PREFIX, maxRetriesPerRequest: 1, lazyConnect: false });

/** A free TCP port on loopback (nothing listens on it once this returns). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of our own (never the shared one), optionally persisting every write so a restart keeps the data. */
export class OwnRedis {
  readonly port: number;
  readonly url: string;
  readonly #dir = mkdtempSync(join(tmpdir(), 'facade-redis-'));
  readonly #persist: boolean;
  #process: ChildProcess | undefined;
  constructor(port: number, persist = false) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#persist = persist;
  }
  static async start(persist = false): Promise<OwnRedis> {
    const own = new OwnRedis(await freePort(), persist);
    await own.start();
    return own;
  }
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.#dir,
      ...(this.#persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])];
    this.#process = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor(`redis-server on ${this.port}`, async () => {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    }, 10_000);
  }
  /** SIGKILL, then wait for the port to close. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
  async close(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ a stub item-crud

export type StubHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** An HTTP server standing in for item-crud; `handle` is swapped per test; every request is recorded. */
export class StubCrud {
  handle: StubHandler = (_req, res) => json(res, 404, {});
  readonly requests: { url: string; headers: IncomingMessage['headers'] }[] = [];
  readonly #server = createServer((req, res) => {
    this.requests.push({ url: req.url ?? '', headers: req.headers });
    void Promise.resolve(this.handle(req, res)).catch(() => res.destroy());
  });
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** An item-crud-shaped item for the stub. */
export function stubItem(id = randomUUID(), sellerId = randomUUID()): ItemJson {
  return {
    id, sellerId, name: 'Stub item', description: '', brand: 'Stub', category: 'laptops', price: '10.00', currency: 'RUB', stock: 1,
    attributes: {}, images: [], status: 'active', version: 3, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
    rating: { average: 4.5, count: 2 },
  };
}
