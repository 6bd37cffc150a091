// What the integration and end-to-end suites of every service share: polling for an eventual state
// and signing users up at the running sso. (Not a test file: the runner only picks up *.test.ts.)
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (returned), failing after `timeoutMs` with the last value or error. */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 15_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await sleep(intervalMs);
  }
}

/**
 * A client address of this test process: the sso trusts X-Forwarded-For from loopback (it sits behind
 * the proxy), so our sign-ins are not throttled by failed ones other suites made from 127.0.0.1.
 */
const CLIENT_IP = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** A JSON POST to the running sso from this process's client address; throws on a non-2xx answer. */
export async function ssoPost<T>(ssoUrl: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${ssoUrl}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': CLIENT_IP }, body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sso ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Registers a user at the running sso and signs in: its id and access token. */
export async function signUp(ssoUrl: string, user: { email: string; password: string; name: string; role: 'customer' | 'seller' }): Promise<{ id: string; token: string }> {
  const { id } = await ssoPost<{ id: string }>(ssoUrl, '/api/auth/register', user);
  const { accessToken } = await ssoPost<{ accessToken: string }>(ssoUrl, '/api/auth/login', { email: user.email, password: user.password });
  return { id, token: accessToken };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (for a service started by a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A database of the tests' own beside a service's (same server, same role, name `database`), created when missing
 * and migrated with the service's Prisma config (`prisma/<config>`, whose URL variable is `urlVariable`): for
 * in-process instances whose background work must not meet the running stack's instance in one database.
 * Answers its URL.
 */
export async function testDatabase(serviceUrl: string, database: string, config: string, urlVariable: string): Promise<string> {
  const url = new URL(serviceUrl);
  url.pathname = `/${database}`;
  const admin = new pg.Client({ connectionString: serviceUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    // 42P04: another test process created it meanwhile.
    if (!rowCount) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`).catch((err: { code?: string }) => { if (err.code !== '42P04') throw err; });
  } finally {
    await admin.end();
  }
  const prisma = fileURLToPath(new URL('../prisma/', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/prisma/build/index.js', import.meta.url)), 'migrate', 'deploy', '--config', config], {
    cwd: prisma, env: { ...process.env, [urlVariable]: url.toString() }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  return url.toString();
}

/**
 * A small demo catalog through the public API (scripts/seed.ts: `items` items of `sellers` demo sellers, idempotent),
 * for tests that play shoppers over the catalog (the simulator needs in-stock items in several categories) and must
 * not rely on what other test files happened to leave behind.
 */
export function seedCatalog(items = 120, sellers = 2): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/seed.ts', import.meta.url)), '--items', String(items), '--sellers', String(sellers)], {
    env: { ...process.env, SEED_IMAGES_PER_SELLER: process.env.SEED_IMAGES_PER_SELLER ?? '1' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
}
