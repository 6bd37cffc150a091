// The "Shop reviews" Grafana dashboard (infra/compose/grafana/dashboards/shop-reviews.json), run without Grafana:
// every panel query against the running Prometheus, which scrapes the stack's comment-analysis (its reviews come
// from the other tests and the demo data). Every query must parse and name only series the service exports; the
// sentiment panels must have data once a review was analyzed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { waitFor } from './helpers.ts';

const PROMETHEUS_URL = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const dashboard = JSON.parse(readFileSync(new URL('../../infra/compose/grafana/dashboards/shop-reviews.json', import.meta.url), 'utf8')) as {
  title: string; panels: { title: string; targets: { expr: string }[] }[];
};
const query = async (promql: string) => {
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  assert.equal(body.status, 'success', `${promql}: ${body.error}`);
  return body.data!.result;
};

test('every panel of "Shop reviews" queries series comment-analysis exports, and sentiment has data', async () => {
  const metrics = await (await fetch('http://127.0.0.1:8092/metrics')).text();
  assert.equal(dashboard.title, 'Shop reviews');
  for (const panel of dashboard.panels) {
    for (const { expr } of panel.targets) {
      for (const name of expr.match(/comment_analysis_\w+/g) ?? []) assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), `${panel.title}: ${name} is exported`);
      await query(expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '6h'));
    }
  }
  await waitFor('analyzed reviews in Prometheus', async () => (await query('sum by (sentiment) (increase(comment_analysis_reviews_total[6h]))')).length > 0, 30_000, 1_000);
});
