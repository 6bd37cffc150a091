// Checkout throughput and latency: 16 customers (by default) each filling their cart and placing an order
// at loms again and again (POST /api/orders with an Idempotency-Key and the sandbox card: cart read, re-pricing,
// reservation, charge, commit, the order with its outbox rows, the cart emptied), beside the same machine's raw
// cost of the step every checkout must pay — the reservation statement alone at item-crud (POST
// /internal/reservations, then its release, untimed) — at the same concurrency in the same run. Then the
// contention case: many buyers at once for few units; paid + refused must equal attempts and nothing oversold.
// Talks to loms, cart and item-crud directly (the proxy's rate limit would cap the run); needs ./make.sh up.
// Usage: node bench/checkout.ts [--customers 16] [--seconds 10] [--buyers 64] [--units 10]
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ServiceTokens, TOKEN_PATH } from '@shop/kit';
import { api } from '../scripts/api.ts';
import { percentile, round } from './load.ts';
import { signUp } from '../test/support.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    buyers: { type: 'string', default: '64' },
    units: { type: 'string', default: '10' },
  },
});
const customers = Number(values.customers);
const durationMs = Number(values.seconds) * 1000;
const buyers = Number(values.buyers);
const units = Number(values.units);
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const ITEM_CRUD = process.env.ITEM_CRUD_URL ?? 'http://127.0.0.1:8082';
const CART = process.env.CART_URL ?? 'http://127.0.0.1:8086';
const LOMS = process.env.LOMS_URL ?? 'http://127.0.0.1:8087';

const account = (role: 'customer' | 'seller') => signUp(SSO, { email: `bench-checkout-${role}-${randomUUID()}@bench.example`, password: 'bench checkout password', name: `Bench ${role}`, role });
/** `n` customers, 8 sign-ins at a time (the sso counts a sign-in in flight against the address's failure limit). */
async function accounts(n: number): Promise<{ id: string; token: string }[]> {
  const all: { id: string; token: string }[] = [];
  while (all.length < n) all.push(...await Promise.all(Array.from({ length: Math.min(8, n - all.length) }, () => account('customer'))));
  return all;
}
const delivery = { name: 'Bench Buyer', phone: '+79990000000', zip: '101000', city: 'Moscow', address: 'Bench street 1', region: 'Moscow', email: 'bench@bench.example' };
const orderBody = JSON.stringify({ delivery, payment: { provider: 'sandbox', card: { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } } });

async function newItem(sellerToken: string, stock: number): Promise<string> {
  const res = await api(ITEM_CRUD, '/api/items', { method: 'POST', token: sellerToken, body: { name: `Bench checkout item ${randomUUID().slice(0, 8)}`, brand: 'Bench', category: 'furniture', price: '100.00', stock } });
  if (res.status !== 201) throw new Error(`POST /api/items: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function putInCart(token: string, itemId: string, quantity: number): Promise<void> {
  const res = await api(CART, `/api/cart/items/${itemId}`, { method: 'PUT', token, body: { quantity } });
  if (res.status !== 200) throw new Error(`PUT cart: ${res.status} ${JSON.stringify(res.body)}`);
}

const checkout = (token: string) => fetch(`${LOMS}/api/orders`, {
  method: 'POST', headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID(), 'content-type': 'application/json' }, body: orderBody,
});

interface Run { operations: number; errors: number; seconds: number; perSecond: number; p50Ms: number; p90Ms: number; p99Ms: number; statuses: Record<string, number> }

/** `workers` closed loops for `durationMs` (after 1 s of warm-up): `prepare` is untimed, `timed` is measured. */
async function closedLoop(workers: number, prepare: (w: number) => Promise<void>, timed: (w: number) => Promise<number>, cleanup: (w: number) => Promise<void> = async () => undefined): Promise<Run> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const loop = async (w: number, until: number, record: boolean) => {
    while (performance.now() < until) {
      await prepare(w);
      const started = performance.now();
      try {
        const status = await timed(w);
        if (record) {
          latencies.push(performance.now() - started);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      } catch {
        if (record) errors++;
      }
      await cleanup(w);
    }
  };
  const warm = performance.now() + 1_000;
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w, warm, false)));
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w, started + durationMs, true)));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    operations: latencies.length, errors, seconds: round(seconds), perSecond: round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)), p90Ms: round(percentile(latencies, 90)), p99Ms: round(percentile(latencies, 99)), statuses,
  };
}

/** A service client with stock:reserve, registered with the sso's operator CLI (as make.sh does for loms). */
function serviceTokens(): ServiceTokens {
  const cli = fileURLToPath(new URL('../sso/src/cli.ts', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'register-client', '--name', `bench-checkout-${randomUUID().slice(0, 8)}`, '--scopes', 'stock:reserve'], {
    env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL_SSO ?? 'postgresql://shop:shop@127.0.0.1:5432/sso' }, encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`register-client failed: ${result.stderr}`);
  const { clientId, clientSecret } = JSON.parse(result.stdout) as { clientId: string; clientSecret: string };
  return new ServiceTokens({ tokenUrl: new URL(TOKEN_PATH, SSO), clientId, clientSecret });
}

const seller = await account('seller');
const shoppers = await accounts(customers);
// Each customer buys an item of their own (the usual case), then all buy one and the same item (a hot product:
// every reservation and commit waits for the same row lock), each beside the raw reservation in the same setting.
const own = await Promise.all(shoppers.map(() => newItem(seller.token, 1_000_000)));
const hot = await newItem(seller.token, 1_000_000);

/** Checkout: every customer puts one unit in the cart (untimed) and orders it (timed). */
const checkoutRun = (itemOf: (w: number) => string) => closedLoop(customers, (w) => putInCart(shoppers[w]!.token, itemOf(w), 1), async (w) => {
  const res = await checkout(shoppers[w]!.token);
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`checkout answered ${res.status}`);
  return res.status;
});

/** The raw reservation at item-crud: the same one-line reservation (timed), released afterwards (untimed). */
const tokens = serviceTokens();
const auth = { authorization: `Bearer ${await tokens.token()}`, 'content-type': 'application/json' };
const held: string[] = [];
const reservationRun = (itemOf: (w: number) => string) => closedLoop(customers, async () => undefined, async (w) => {
  const orderUid = `bench${randomUUID().replaceAll('-', '')}`;
  held[w] = orderUid;
  const res = await fetch(`${ITEM_CRUD}/internal/reservations`, { method: 'POST', headers: auth, body: JSON.stringify({ orderUid, lines: [{ itemId: itemOf(w), quantity: 1 }] }) });
  await res.arrayBuffer();
  if (res.status !== 201 && res.status !== 200) throw new Error(`reserve answered ${res.status}`);
  return res.status;
}, async (w) => {
  if (held[w]) await fetch(`${ITEM_CRUD}/internal/reservations/${held[w]}/release`, { method: 'POST', headers: { authorization: auth.authorization } }).then((r) => r.arrayBuffer());
});

const compare = (checkout: Run, reservation: Run) => ({
  checkout,
  baseline: { what: 'the reservation statement alone: POST /internal/reservations at item-crud, one line, same items, same concurrency', ...reservation },
  checkoutVsReservation: { perSecond: round(checkout.perSecond / reservation.perSecond), p50: round(checkout.p50Ms / reservation.p50Ms), p99: round(checkout.p99Ms / reservation.p99Ms) },
});
const ownItems = compare(await checkoutRun((w) => own[w]!), await reservationRun((w) => own[w]!));
const hotItem = compare(await checkoutRun(() => hot), await reservationRun(() => hot));

// 3. Contention: `buyers` customers, each with one unit of an item that has only `units`, all ordering at once.
const scarce = await newItem(seller.token, units);
const crowd = await accounts(buyers);
await Promise.all(crowd.map((c) => putInCart(c.token, scarce, 1)));
const started = performance.now();
const outcomes = await Promise.all(crowd.map(async (c) => {
  const res = await checkout(c.token);
  const body = (await res.json()) as { type?: string };
  return res.status === 201 ? 'paid' : res.status === 409 && String(body.type).endsWith('out-of-stock') ? 'refused' : `other-${res.status}`;
}));
const contentionSeconds = (performance.now() - started) / 1000;
const after = (await api(ITEM_CRUD, `/api/items/${scarce}`)).body as { stock: number; reserved: number };
const count = (o: string) => outcomes.filter((x) => x === o).length;
const paid = count('paid');
const refused = count('refused');

console.log(JSON.stringify({
  benchmark: 'checkout',
  customers,
  ownItems,
  hotItem,
  contention: {
    attempts: buyers, units, paid, refused, other: buyers - paid - refused, seconds: round(contentionSeconds),
    stockAfter: after.stock, reservedAfter: after.reserved, oversold: Math.max(0, paid - units) + Math.max(0, -after.stock),
    consistent: paid + refused === buyers && paid === Math.min(units, buyers) && after.stock === units - paid && after.reserved === 0,
  },
}, null, 2));
