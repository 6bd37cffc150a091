// Shared set-up of the loms tests: the app built in-process against the real PostgreSQL and Kafka and the
// running sso, item-crud and cart; a service client registered with the sso CLI as an operator does.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { App } from '@shop/kit';
import { api } from '../../scripts/api.ts';
import { signUp } from '../../test/support.ts';
import { buildService } from '../src/app.ts';

export const DATABASE_URL = process.env.DATABASE_URL_LOMS ?? 'postgresql://shop:shop@127.0.0.1:5432/loms';
const DATABASE_URL_SSO = process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
export const ITEM_CRUD_URL = process.env.ITEM_CRUD_URL ?? 'http://127.0.0.1:8082';
export const CART_URL = process.env.CART_URL ?? 'http://127.0.0.1:8086';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

/** A service client with loms's scopes, registered with the sso's operator CLI. */
export function registerClient(scopes = 'cart:read cart:write stock:reserve'): { clientId: string; clientSecret: string } {
  const cli = fileURLToPath(new URL('../../sso/src/cli.ts', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'register-client', '--name', `loms-test-${randomUUID().slice(0, 12)}`, '--scopes', scopes], {
    env: { ...process.env, DATABASE_URL: DATABASE_URL_SSO }, encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`register-client failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { clientId: string; clientSecret: string };
}

export const testEnv = (client: { clientId: string; clientSecret: string }, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  HOST: '127.0.0.1', DATABASE_URL, KAFKA_BROKERS, SSO_URL, CART_URL, ITEM_CRUD_URL,
  LOMS_CLIENT_ID: client.clientId, LOMS_CLIENT_SECRET: client.clientSecret, LOG_LEVEL: 'silent', ...extra,
});

export async function startApp(client: { clientId: string; clientSecret: string }, extra: Record<string, string> = {}): Promise<App> {
  const { app } = await buildService(testEnv(client, extra));
  await app.ready();
  return app;
}

export const person = (role: 'customer' | 'seller') =>
  signUp(SSO_URL, { email: `loms-${role}-${randomUUID()}@test.example`, password: 'loms test password', name: `Loms ${role}`, role });

export async function createItem(sellerToken: string, stock: number, price = '1999.90'): Promise<{ id: string; article: number }> {
  const res = await api(ITEM_CRUD_URL, '/api/items', { method: 'POST', token: sellerToken, body: { name: `Loms lamp ${randomUUID().slice(0, 8)}`, brand: 'Ikea', category: 'furniture', price, stock } });
  if (res.status !== 201) throw new Error(`create item: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const item = async (id: string): Promise<{ stock: number; reserved: number; available: number }> => (await api(ITEM_CRUD_URL, `/api/items/${id}`)).body;

export async function putInCart(token: string, itemId: string, quantity: number): Promise<void> {
  const res = await api(CART_URL, `/api/cart/items/${itemId}`, { method: 'PUT', token, body: { quantity } });
  if (res.status !== 200) throw new Error(`cart put: ${res.status} ${JSON.stringify(res.body)}`);
}

export const cartItems = async (token: string): Promise<{ itemId: string; quantity: number }[]> => (await api(CART_URL, '/api/cart', { token })).body.items;

export const checkoutBody = (card = '4242424242424242', overrides: Record<string, unknown> = {}) => ({
  delivery: { name: 'Test Testov', phone: '+79990000000', zip: '101000', city: 'Moscow', address: 'Tverskaya 1', region: 'Moscow', email: 'buyer@test.example', ...overrides },
  payment: { provider: 'sandbox', card: { number: card, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } },
});

export const pool = () => new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
