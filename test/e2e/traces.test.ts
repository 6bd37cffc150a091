// Traces across HTTP and Kafka, read back from the Jaeger that ./make.sh up runs: an order placed through the proxy
// with our own traceparent is one trace in Jaeger holding the proxy's span, loms's server span and its PostgreSQL
// queries, the calls to cart and item-crud, the Kafka publishes of the outbox relays (PRODUCER), the consumers on the
// other side (notifier, orders, item-etl: CONSUMER) and item-etl's write to Elasticsearch.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { api } from '../../scripts/api.ts';
import { signUp, waitFor } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const JAEGER = process.env.JAEGER_URL ?? 'http://127.0.0.1:16686';

interface JaegerSpan { spanID: string; operationName: string; processID: string; tags: { key: string; value: unknown }[]; references: { refType: string; spanID: string }[] }
interface JaegerTrace { traceID: string; spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }

const account = (role: 'seller' | 'customer') =>
  signUp(SSO, { email: `traces-${role}-${randomUUID()}@test.example`, password: 'traces e2e password', name: `Traces ${role}`, role });
const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

describe('traces in Jaeger', () => {
  it('one order is one trace: proxy → loms (+ PostgreSQL) → cart, item-crud → Kafka → notifier, orders, item-etl → Elasticsearch', async () => {
    const [seller, buyer] = await Promise.all([account('seller'), account('customer')]);
    const created = await api(PROXY, '/api/items', { method: 'POST', token: seller.token, body: { name: `Traces e2e lamp ${randomUUID().slice(0, 8)}`, brand: 'Ikea', category: 'furniture', price: '12.00', stock: 5 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api(PROXY, `/api/cart/items/${created.body.id}`, { method: 'PUT', token: buyer.token, body: { quantity: 2 } })).status, 200);

    const traceId = randomBytes(16).toString('hex');
    const placed = await api(PROXY, '/api/orders', {
      method: 'POST', token: buyer.token,
      headers: { 'idempotency-key': randomUUID(), traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: {
        delivery: { name: 'Trace Tester', phone: '+79990001122', zip: '101000', city: 'Moscow', address: 'Arbat 1', region: 'Moscow', email: `traces-${randomUUID()}@test.example` },
        payment: { provider: 'sandbox', card: { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } },
      },
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));

    const want = (t: JaegerTrace) => {
      const service = (s: JaegerSpan) => t.processes[s.processID]?.serviceName ?? '';
      const has = (svc: string, test: (s: JaegerSpan) => boolean) => t.spans.some((s) => service(s) === svc && test(s));
      return {
        'proxy server span': has('proxy', (s) => tag(s, 'span.kind') === 'server'),
        'loms POST /api/orders': has('loms', (s) => s.operationName === 'POST /api/orders'),
        'loms PostgreSQL queries': has('loms', (s) => tag(s, 'db.system') === 'postgresql'),
        'cart internal read': has('cart', (s) => s.operationName.startsWith('GET /internal/carts')),
        'item-crud reservation commit': has('item-crud', (s) => s.operationName.startsWith('POST /internal/reservations') && s.operationName.endsWith('/commit')),
        'loms publishes to order-events': has('loms', (s) => s.operationName === 'order-events publish' && tag(s, 'span.kind') === 'producer'),
        'item-crud publishes item-events': has('item-crud', (s) => s.operationName === 'item-events publish'),
        'notifier consumes order-events': has('notifier', (s) => s.operationName === 'order-events process' && tag(s, 'span.kind') === 'consumer'),
        'orders consumes orders': has('orders', (s) => tag(s, 'span.kind') === 'consumer'),
        'item-etl consumes item-events': has('item-etl', (s) => s.operationName === 'item-events process'),
        'item-etl writes to Elasticsearch': has('item-etl', (s) => tag(s, 'span.kind') === 'client' && /9200/.test(String(tag(s, 'server.port') ?? tag(s, 'url.full') ?? ''))),
      };
    };
    const found = await waitFor('the whole trace in Jaeger', async () => {
      const res = await fetch(`${JAEGER}/api/traces/${traceId}`);
      if (res.status !== 200) return undefined;
      const trace = ((await res.json()) as { data: JaegerTrace[] }).data[0];
      if (!trace) return undefined;
      const parts = want(trace);
      return Object.values(parts).every(Boolean) ? { trace, parts } : undefined;
    }, 45_000, 500).catch(async (err: Error) => {
      const res = await fetch(`${JAEGER}/api/traces/${traceId}`);
      const trace = res.ok ? ((await res.json()) as { data: JaegerTrace[] }).data[0] : undefined;
      throw new Error(`${err.message}; parts: ${trace ? JSON.stringify(want(trace)) : `no trace (${res.status})`}`);
    });
    // One trace: every span but the proxy's (whose parent is our traceparent) hangs off another span of it.
    const ids = new Set(found.trace.spans.map((s) => s.spanID));
    const orphans = found.trace.spans.filter((s) => !s.references.some((r) => ids.has(r.spanID)));
    assert.deepEqual(orphans.map((s) => found.trace.processes[s.processID]?.serviceName), ['proxy'], 'only the proxy span is a root within the trace');
  });
});
