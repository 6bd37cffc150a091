// Shared set-up of the cart tests: the app built in-process against the real Redis and the running sso
// and item-crud (addresses from the environment, loopback defaults). Users sign up at the sso; items
// are created through item-crud by a seller. Our own redis-server and item-crud calls come from the
// facade's helpers (the same running services).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { signUp } from '../../test/support.ts';
import { createItem, crud, patchItem, type ItemJson, type User } from '../../facade/test/helpers.ts';
import { buildService } from '../src/app.ts';

export { OwnRedis, freePort } from '../../facade/test/helpers.ts';
export { createItem, crud, patchItem, type ItemJson, type User };

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ITEM_CRUD_URL = process.env.ITEM_CRUD_URL ?? 'http://127.0.0.1:8082';
export const SSO_URL = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
export const PASSWORD = 'cart test password';

export const testEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  HOST: '127.0.0.1', LOG_LEVEL: 'silent', REDIS_URL, SSO_URL, ITEM_CRUD_URL, ...extra,
});

export type CartApp = Awaited<ReturnType<typeof buildService>>['app'];

export async function startApp(extra: Record<string, string> = {}): Promise<CartApp> {
  const { app } = await buildService(testEnv(extra));
  await app.ready();
  return app;
}

export const redis = (url = REDIS_URL) => new Redis(url, { maxRetriesPerRequest: 1 });

/** A new account at the running sso, signed in. */
export async function newUser(role: 'customer' | 'seller' = 'customer', label: string = role): Promise<User> {
  const email = `cart-${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@test.example`;
  const { id, token } = await signUp(SSO_URL, { email, password: PASSWORD, name: `Cart ${label}`, role });
  return { id, email, token, auth: { authorization: `Bearer ${token}` } };
}

/** An item of this seller (a kettle at 1999.90 RUB, 5 in stock unless overridden). */
export const newItem = (seller: User, overrides: Record<string, unknown> = {}): Promise<ItemJson> =>
  createItem(seller, { name: `Cart test kettle ${randomBytes(3).toString('hex')}`, category: 'laptops', price: '1999.90', stock: 5, ...overrides });
