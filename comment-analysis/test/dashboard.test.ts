// The "Shop reviews" Grafana dashboard (infra/compose/grafana/dashboards/shop-reviews.json), run without Grafana:
// every panel query against the running Prometheus, which scrapes the stack's comment-analysis. The test writes a
// review of its own through the proxy first (no leftovers of other tests relied on). Every query must parse and name
// only series the service exports; the sentiment panels must have data once the review was analyzed. The panels on
// the analytics PostgreSQL datasource ("Most criticized aspects per category") are run as its read-only role by
// analytics/test/review-aspects.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { api } from '../../scripts/api.ts';
import { signUp } from '../../test/support.ts';
import { waitFor } from './helpers.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';

const PROMETHEUS_URL = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const dashboard = JSON.parse(readFileSync(new URL('../../infra/compose/grafana/dashboards/shop-reviews.json', import.meta.url), 'utf8')) as {
  title: string; panels: { title: string; datasource: { type: string; uid: string }; targets: { expr: string }[] }[];
};
const prometheusPanels = dashboard.panels.filter((p) => p.datasource.type === 'prometheus');
const query = async (promql: string) => {
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  assert.equal(body.status, 'success', `${promql}: ${body.error}`);
  return body.data!.result;
};

test('every panel of "Shop reviews" queries series comment-analysis exports, and sentiment has data', async () => {
  const [seller, reviewer] = await Promise.all((['seller', 'customer'] as const).map((role) =>
    signUp(SSO, { email: `reviews-dashboard-${role}-${randomUUID()}@test.example`, password: 'reviews dashboard password', name: `Dashboard ${role}`, role })));
  const item = await api(PROXY, '/api/items', { method: 'POST', token: seller!.token, body: { name: `Dashboard kettle ${randomUUID().slice(0, 8)}`, brand: 'Bosch', category: 'kitchen', price: '30.00', stock: 5 } });
  assert.equal(item.status, 201, JSON.stringify(item.body));
  const review = await api(PROXY, `/api/items/${item.body.id}/comments`, { method: 'POST', token: reviewer!.token, body: { rating: 5, text: 'Отличный чайник, быстро закипает и не шумит. Рекомендую!' } });
  assert.equal(review.status, 201, JSON.stringify(review.body));
  await waitFor('the review analyzed', async () => (await api(PROXY, `/api/review-analysis/items/${item.body.id}`)).body?.count === 1, 30_000, 250);
  const metrics = await (await fetch('http://127.0.0.1:8092/metrics')).text();
  assert.equal(dashboard.title, 'Shop reviews');
  assert.ok(prometheusPanels.length > 0);
  for (const panel of prometheusPanels) {
    for (const { expr } of panel.targets) {
      for (const name of expr.match(/comment_analysis_\w+/g) ?? []) assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), `${panel.title}: ${name} is exported`);
      await query(expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '6h'));
    }
  }
  await waitFor('analyzed reviews in Prometheus', async () => (await query('sum by (sentiment) (increase(comment_analysis_reviews_total[6h]))')).length > 0, 60_000, 1_000);
});
