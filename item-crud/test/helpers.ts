// Shared set-up of the item-crud integration tests: the app built in-process against the real
// PostgreSQL and Kafka, real access tokens from the running sso, a Kafka tap on item-events.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { LightMyRequestResponse } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { Client as MinioClient } from 'minio';
import pg from 'pg';
import { ServiceTokens, TOKEN_PATH, type App } from '@shop/kit';
import { buildService, type BuildOptions } from '../src/app.ts';
import { tapTopic as kitTapTopic } from '../../kit/test/helpers.ts';
import { ssoPost } from '../../test/support.ts';

export const DATABASE_URL = process.env.DATABASE_URL_SHOP ?? 'postgresql://shop:shop@127.0.0.1:5432/shop';
export const DATABASE_URL_SSO = process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
export const PASSWORD = 'item crud test password';

/** The service's environment: loopback infrastructure, quiet logs, plus `extra`. */
export const testEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  HOST: '127.0.0.1',
  DATABASE_URL,
  KAFKA_BROKERS,
  MINIO_ENDPOINT: process.env.MINIO_ENDPOINT ?? 'http://127.0.0.1:9000',
  MINIO_ACCESS_KEY: process.env.MINIO_ACCESS_KEY ?? 'shopminio',
  MINIO_SECRET_KEY: process.env.MINIO_SECRET_KEY ?? 'shopminio-secret',
  SSO_URL,
  LOG_LEVEL: 'silent',
  // The running item-crud consumes review-summaries; a test app joins only on topics and a group of its own
  // (test/review-summaries.test.ts), never the real group.
  REVIEW_SUMMARIES_ENABLED: 'false',
  ...extra,
});

export async function startApp(extra: Record<string, string> = {}, options: BuildOptions = {}): Promise<App> {
  const { app } = await buildService(testEnv(extra), options);
  await app.ready();
  return app;
}

// ------------------------------------------------------------------ users and tokens (the real sso)

export interface User {
  id: string;
  email: string;
  role: 'customer' | 'seller' | 'admin';
  token: string;
  auth: { authorization: string };
}

const ssoCall = <T>(path: string, body: unknown) => ssoPost<T>(SSO_URL, path, body);

async function login(email: string): Promise<string> {
  return (await ssoCall<{ accessToken: string }>('/api/auth/login', { email, password: PASSWORD })).accessToken;
}

export const uniqueEmail = (label: string) => `item-crud-${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@test.example`;

/** Registers and signs in a user through the running sso. */
export async function newUser(role: 'customer' | 'seller' = 'seller', label: string = role): Promise<User> {
  const email = uniqueEmail(label);
  const { id } = await ssoCall<{ id: string }>('/api/auth/register', { email, password: PASSWORD, name: `Test ${label}`, role });
  const token = await login(email);
  return { id, email, role, token, auth: { authorization: `Bearer ${token}` } };
}

/** An admin: registered as a customer, promoted with the sso's operator CLI, then signed in. */
export async function newAdmin(): Promise<User> {
  const user = await newUser('customer', 'admin');
  const cli = fileURLToPath(new URL('../../sso/src/cli.ts', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'create-admin', '--email', user.email, '--name', 'Test Admin'], {
    env: { ...process.env, DATABASE_URL: DATABASE_URL_SSO }, encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`create-admin failed: ${result.stderr}`);
  const token = await login(user.email);
  return { ...user, role: 'admin', token, auth: { authorization: `Bearer ${token}` } };
}

/**
 * A service access token from the running sso: a client registered with the sso's operator CLI
 * (`register-client`, the way an operator registers loms) and the client credentials grant (the kit's client).
 */
export async function newServiceToken(scopes: string[]): Promise<string> {
  const cli = fileURLToPath(new URL('../../sso/src/cli.ts', import.meta.url));
  const name = `item-crud-test-${randomBytes(6).toString('hex')}`;
  const result = spawnSync(process.execPath, [cli, 'register-client', '--name', name, '--scopes', scopes.join(' ')], {
    env: { ...process.env, DATABASE_URL: DATABASE_URL_SSO }, encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`register-client failed: ${result.stderr}`);
  const { clientId, clientSecret } = JSON.parse(result.stdout) as { clientId: string; clientSecret: string };
  return new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, SSO_URL), clientId, clientSecret }).token();
}

// ------------------------------------------------------------------ items

let counter = 0;
/** A valid create body; `overrides` replace fields. */
export const itemBody = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: `Тестовый ноутбук ${++counter} ${randomBytes(3).toString('hex')}`,
  description: 'Лёгкий и быстрый',
  brand: 'Lenovo',
  category: 'laptops',
  price: '1999.90',
  stock: 5,
  attributes: { ram_gb: 16, color: 'black' },
  ...overrides,
});

export interface ItemJson {
  id: string; article: number; reserved: number; available: number; sellerId: string; name: string; description: string; brand: string; category: string; price: string; currency: string;
  stock: number; attributes: Record<string, string | number>; images: ImageJson[]; rating: { average: number; count: number };
  reviewSummary: ReviewSummaryJson | null; status: string; version: number; createdAt: string; updatedAt: string;
}

export interface ReviewSummaryJson {
  count: number; sentiment: { positive: number; neutral: number; negative: number }; score: number; praised: string[]; criticized: string[];
}

export interface ImageJson { id: string; url: string; thumbUrl: string; width: number; height: number; contentType: string; size: number; position: number }

export async function createItem(app: App, user: User, overrides: Record<string, unknown> = {}): Promise<ItemJson> {
  const res = await app.inject({ method: 'POST', url: '/api/items', headers: user.auth, payload: itemBody(overrides) });
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json<ItemJson>();
}

export const patchItem = (app: App, user: User, id: string, ifMatch: string | undefined, payload: unknown): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'PATCH', url: `/api/items/${id}`, headers: { ...user.auth, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) }, payload: payload as Record<string, unknown> });

export interface Problem { type: string; title: string; status: number; detail: string; errors?: { location: string; pointer: string; message: string }[]; [k: string]: unknown }

// ------------------------------------------------------------------ database

export const pool = () => new pg.Pool({ connectionString: DATABASE_URL, max: 4 });

export interface OutboxRowJson { id: string; key: string; topic: string; payload: { id: string; type: string; version: number; data: { status: string } }; headers: Record<string, string>; published_at: Date | null; attempts: number; last_error: string | null }

export async function outboxRows(db: pg.Pool, keys: string[]): Promise<OutboxRowJson[]> {
  const { rows } = await db.query<OutboxRowJson>('SELECT id::text, key, topic, payload, headers, published_at, attempts, last_error FROM outbox WHERE key = ANY($1) ORDER BY id', [keys]);
  return rows;
}

/** Polls `check` until it answers a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ------------------------------------------------------------------ Kafka

export const kafka = () => new Kafka({ clientId: 'item-crud-test', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });

export { type Tap, type TappedMessage } from '../../kit/test/helpers.ts';

/** `topic` read from its end by a group of its own (see the kit's test helpers). */
export const tapTopic = (topic: string) => kitTapTopic(topic, 'item-crud-test');

// ------------------------------------------------------------------ multipart and MinIO

export interface FormPart { name: string; filename?: string; contentType?: string; data: Buffer | string }

/** A multipart/form-data body built by hand (what a browser or `curl -F` sends). */
export function multipartBody(parts: FormPart[]): { payload: Buffer; headers: { 'content-type': string } } {
  const boundary = `----item-crud-test-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.contentType ? `Content-Type: ${part.contentType}\r\n` : ''}\r\n`;
    chunks.push(Buffer.from(head), Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export const MINIO_BUCKET = process.env.MINIO_BUCKET ?? 'item-images';

export const minioClient = () => {
  const url = new URL(process.env.MINIO_ENDPOINT ?? 'http://127.0.0.1:9000');
  return new MinioClient({
    endPoint: url.hostname, port: Number(url.port || 80), useSSL: url.protocol === 'https:',
    accessKey: process.env.MINIO_ACCESS_KEY ?? 'shopminio', secretKey: process.env.MINIO_SECRET_KEY ?? 'shopminio-secret',
  });
};

/** Keys of every object stored under `prefix`. */
export async function objectKeys(minio: MinioClient, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of minio.listObjectsV2(MINIO_BUCKET, prefix, true) as AsyncIterable<{ name?: string }>) if (o.name) keys.push(o.name);
  return keys.sort();
}

/** The bytes of an object. */
export async function objectBytes(minio: MinioClient, key: string): Promise<Buffer> {
  const stream = await minio.getObject(MINIO_BUCKET, key);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
