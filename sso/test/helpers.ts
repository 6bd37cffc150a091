// Shared set-up of the sso integration tests: an app built in-process against the real PostgreSQL
// and Redis (addresses from the environment, loopback defaults), driven with app.inject.
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '@shop/kit';
import { buildService } from '../src/app.ts';
import { throttleKeys } from '../src/services/login-throttle.ts';

export const DATABASE_URL = process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

export const testEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  DATABASE_URL, REDIS_URL, KAFKA_BROKERS, LOG_LEVEL: 'silent', ...extra,
});

export const PASSWORD = 'correct horse battery';

/** An email nobody else uses (tests run against a shared database). */
export const uniqueEmail = (label = 'user') => `${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@test.example`;

/** A client address of our own, so the per-IP failure counter is not shared with anything else. */
export const uniqueIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

export interface TestApp {
  app: App;
  ip: string;
  register(body: Record<string, unknown>): Promise<LightMyRequestResponse>;
  /** Registers a customer with PASSWORD and returns its id and (normalized) email. */
  newUser(label?: string, role?: 'customer' | 'seller'): Promise<{ id: string; email: string }>;
  login(email: string, password?: string, ip?: string): Promise<LightMyRequestResponse>;
  refresh(refreshToken: string): Promise<LightMyRequestResponse>;
  me(accessToken: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Builds the sso with `env` overrides; `close` also deletes the throttle counters the test created. */
export async function startApp(extra: Record<string, string> = {}): Promise<TestApp> {
  const { app } = await buildService(testEnv(extra));
  await app.ready();
  const ip = uniqueIp();
  const counters = new Set<string>();
  const t: TestApp = {
    app,
    ip,
    register: (body) => app.inject({ method: 'POST', url: '/api/auth/register', payload: body }),
    async newUser(label = 'user', role = 'customer') {
      const res = await t.register({ email: uniqueEmail(label), password: PASSWORD, name: 'Test User', role });
      if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
      const { id, email } = res.json<{ id: string; email: string }>();
      return { id, email };
    },
    login(email, password = PASSWORD, from = ip) {
      const keys = throttleKeys(email.trim().toLowerCase(), from);
      counters.add(keys.account).add(keys.ip);
      return app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress: from });
    },
    refresh: (refreshToken) => app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } }),
    me: (accessToken) => app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${accessToken}` } }),
    async close() {
      if (counters.size > 0) await app.redis.del(...counters).catch(() => undefined);
      await app.close();
    },
  };
  return t;
}

/** The decoded (unverified) parts of a JWT. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

export interface LoginResult { accessToken: string; refreshToken: string; tokenType: string; expiresIn: number }

const root = new URL('../..', import.meta.url).pathname;

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs the operator CLI (`sso/src/cli.ts`) with the test environment (or `baseEnv`) plus `env`. */
export function cli(args: string[], options: { env?: Record<string, string>; baseEnv?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['sso/src/cli.ts', ...args], {
      cwd: root, env: { PATH: process.env.PATH, ...(options.baseEnv ?? testEnv()), ...options.env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
