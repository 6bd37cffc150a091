// The provisioned Grafana dashboards, run without Grafana: after a short simulated run, every panel query and
// variable query of "Shop analytics" is run against the real PostgreSQL as the read-only role the datasource uses,
// and every one of "Shop operations" and "Shop services" against the running Prometheus (a range query over the dashboard's time
// range), with the template variables and macros substituted the way Grafana does; a query that errors or returns
// no rows fails. The read-only role is checked too: it reads the analytics tables and nothing else.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parse } from 'yaml';
import { simulate } from '../../scripts/simulate.ts';
import { activityBase, waitFor } from './helpers.ts';
import { seedCatalog } from '../../test/support.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const PROMETHEUS_URL = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const PGHOST = process.env.PGHOST ?? '127.0.0.1';
const PGPORT = process.env.PGPORT ?? '5432';
const READER = process.env.ANALYTICS_READER_USER ?? 'analytics_reader';

interface Target { refId: string; rawSql?: string; expr?: string; datasource?: { uid?: string } }
interface Panel { title: string; targets?: Target[]; panels?: Panel[] }
interface Variable { name: string; query?: string | { query?: string }; includeAll?: boolean; multi?: boolean; allValue?: string; datasource?: { uid?: string } }
interface Dashboard { title: string; time: { from: string; to: string }; panels: Panel[]; templating: { list: Variable[] } }

const dashboard = (file: string) => JSON.parse(read(`infra/compose/grafana/dashboards/${file}`)) as Dashboard;
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const datasource = (name: string) =>
  (parse(read(`infra/compose/grafana/provisioning/datasources/${name}`)) as { datasources: { uid: string; secureJsonData?: { password?: string }; jsonData?: { database?: string }; user?: string }[] }).datasources[0]!;

/** Grafana's relative time ("now", "now-7d", "now-1h") at `now`. */
function relative(expr: string, now: number): number {
  const m = /^now(?:-(\d+)([smhdw]))?$/.exec(expr);
  assert.ok(m, `time ${expr}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' ?? 's'];
  return now - (m[1] ? Number(m[1]) * unit : 0);
}

/** A SQL string literal the way Grafana's SQL datasources quote a variable value. */
const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * Grafana's interpolation for SQL datasources: a variable with includeAll/multi is quoted, an "All" selection with a
 * custom allValue is inserted as is; macros $__timeFilter(col), $__timeFrom(), $__timeTo() (RFC 3339, UTC).
 */
function interpolateSql(sql: string, vars: Record<string, { value: string; all: boolean; variable: Variable }>, from: number, to: number): string {
  const f = `'${new Date(from).toISOString()}'`;
  const t = `'${new Date(to).toISOString()}'`;
  let out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col.trim()} BETWEEN ${f} AND ${t}`)
    .replace(/\$__timeFrom\(\)/g, f)
    .replace(/\$__timeTo\(\)/g, t);
  for (const [name, { value, all, variable }] of Object.entries(vars)) {
    const text = all && variable.allValue !== undefined ? variable.allValue : variable.includeAll || variable.multi ? quoteLiteral(value) : value;
    out = out.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), text);
  }
  assert.doesNotMatch(out, /\$\w/, `every variable and macro substituted: ${out}`);
  return out;
}

/** Grafana's $__interval and $__rate_interval for a range panel (max 1000 points, the datasource's scrape interval). */
function intervals(from: number, to: number, scrapeSeconds: number) {
  const interval = Math.max(scrapeSeconds, Math.ceil((to - from) / 1000 / 1000));
  return { interval, rate: Math.max(interval + scrapeSeconds, 4 * scrapeSeconds) };
}

/** Grafana's interpolation for Prometheus: an "All" with allValue as is, a multi value as a regex alternation (escaped). */
function interpolatePromql(expr: string, vars: Record<string, { value: string; all: boolean; variable: Variable }>, iv: { interval: number; rate: number }): string {
  let out = expr.replaceAll('$__rate_interval', `${iv.rate}s`).replaceAll('$__interval', `${iv.interval}s`);
  for (const [name, { value, all, variable }] of Object.entries(vars)) {
    const text = all && variable.allValue !== undefined ? variable.allValue : value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
    out = out.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), text);
  }
  assert.doesNotMatch(out, /\$\w/, `every variable substituted: ${out}`);
  return out;
}

let reader: pg.Pool;
before(async () => {
  // An activity run, so that every panel has something to show (over a catalog of its own making).
  seedCatalog();
  const tally = await simulate({ users: 8, minutes: 0.25, activityUrl: await activityBase(), seed: 7, thinkMs: [50, 200] });
  assert.ok(tally.searches > 0 && tally.productViews > 0, JSON.stringify(tally));
  const ds = datasource('analytics.yml');
  const password = process.env.ANALYTICS_READER_PASSWORD ?? 'analytics-reader';
  assert.equal(ds.secureJsonData?.password, '$ANALYTICS_READER_PASSWORD');
  reader = new pg.Pool({ host: PGHOST, port: Number(PGPORT), user: ds.user ?? READER, password, database: ds.jsonData?.database, max: 2 });
  // Wait until the run is counted (its purchases come last: order-events, then the outbox, then user-activity).
  await waitFor('the run counted', async () => {
    const { rows } = await reader.query(
      `SELECT count(*) FILTER (WHERE type = 'product_view' AND anonymous_id LIKE $2)::int AS views, coalesce(sum(quantity) FILTER (WHERE type = 'purchase' AND user_id = ANY($1::uuid[])), 0)::int AS units
       FROM events WHERE occurred_at >= $3`,
      [tally.userIds, `${tally.anonymousIdPrefix}%`, tally.startedAt],
    );
    return rows[0].views >= tally.productViews && rows[0].units >= tally.purchaseUnits;
  }, 60_000, 250);
});
after(async () => {
  await reader?.end();
});

describe('Shop analytics (PostgreSQL, as the read-only role)', () => {
  const d = dashboard('shop-analytics.json');

  it('the role reads the analytics tables and may do nothing else', async () => {
    await reader.query('SELECT 1 FROM site_daily LIMIT 1');
    for (const sql of ['INSERT INTO site_hourly (hour) VALUES (now())', 'DELETE FROM events', 'CREATE TABLE grafana_was_here (x int)', 'UPDATE items SET name = name']) {
      await assert.rejects(reader.query(sql), /permission denied/, sql);
    }
    const shop = new pg.Client({ host: PGHOST, port: Number(PGPORT), user: READER, password: process.env.ANALYTICS_READER_PASSWORD ?? 'analytics-reader', database: 'shop' });
    await shop.connect().then(async () => {
      await assert.rejects(shop.query('SELECT 1 FROM items LIMIT 1'), /permission denied/);
      await shop.end();
    }, () => undefined); // not even allowed to connect: fine too
  });

  it('every panel query returns rows, for All categories and for one category', async () => {
    const now = Date.now();
    const from = relative(d.time.from, now);
    const to = relative(d.time.to, now);
    const variable = d.templating.list.find((v) => v.name === 'category')!;
    const { rows: categories } = await reader.query(variable.query as string);
    assert.ok(categories.length > 0, 'the category variable has values');
    // The category with the most views in the range (a category without activity would rightly show nothing).
    const { rows: [busiest] } = await reader.query(
      `SELECT i.category FROM item_hourly h JOIN items i ON i.item_id = h.item_id WHERE h.hour BETWEEN $1 AND $2 GROUP BY 1 ORDER BY sum(h.views) DESC LIMIT 1`,
      [new Date(from), new Date(to)],
    );
    let queries = 0;
    for (const choice of [{ value: '$__all', all: true }, { value: busiest.category as string, all: false }]) {
      const vars = { category: { ...choice, variable } };
      for (const panel of allPanels(d.panels)) {
        for (const target of panel.targets ?? []) {
          assert.ok(target.rawSql, `${panel.title}: a raw SQL query`);
          const sql = interpolateSql(target.rawSql, vars, from, to);
          const { rows } = await reader.query(sql).catch((err: Error) => assert.fail(`${panel.title} (${choice.value}): ${err.message}\n${sql}`));
          assert.ok(rows.length > 0, `${panel.title} (${choice.value}): no rows\n${sql}`);
          queries++;
        }
      }
    }
    assert.ok(queries >= 30);
  });
});

/** Where each provisioned dashboard's panel queries are run against the real datasource: a new dashboard needs a check. */
const CHECKED: Record<string, string> = {
  'shop-analytics.json': 'this file, PostgreSQL as the read-only role',
  'shop-operations.json': 'this file, Prometheus',
  'shop-services.json': 'this file, Prometheus',
  'shop-reviews.json': 'comment-analysis/test/dashboard.test.ts, Prometheus; its PostgreSQL panel in analytics/test/review-aspects.test.ts, as the read-only role',
};

for (const file of ['shop-operations.json', 'shop-services.json']) {
  describe(`${dashboard(file).title} (Prometheus)`, () => {
    const d = dashboard(file);

    it('every panel query returns series over the dashboard range, for All services and for one', async () => {
      const prometheusDs = (parse(read('infra/compose/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { jsonData?: { timeInterval?: string } }[] }).datasources[0]!;
      const scrape = Number(/^(\d+)s$/.exec(prometheusDs.jsonData?.timeInterval ?? '15s')?.[1] ?? 15);
      const now = Date.now();
      const from = relative(d.time.from, now);
      const to = relative(d.time.to, now);
      const iv = intervals(from, to, scrape);
      const variable = d.templating.list.find((v) => v.name === 'service')!;
      const query = async (promql: string) => {
        const res = await fetch(`${PROMETHEUS_URL}/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${from / 1000}&end=${to / 1000}&step=${iv.interval}`);
        const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
        assert.equal(body.status, 'success', `${promql}: ${body.error}`);
        return body.data!.result;
      };
      // The variable: label_values(metric, label) is the metric's label values.
      const lv = /^label_values\((\w+),\s*(\w+)\)$/.exec((variable.query as { query: string }).query)!;
      const values = await fetch(`${PROMETHEUS_URL}/api/v1/label/${lv[2]}/values?match[]=${lv[1]}`).then((r) => r.json() as Promise<{ data: string[] }>);
      assert.ok(values.data.includes('analytics') && values.data.includes('search'), values.data.join(','));
      let queries = 0;
      for (const choice of [{ value: '$__all', all: true }, { value: 'search', all: false }]) {
        for (const panel of allPanels(d.panels)) {
          for (const target of panel.targets ?? []) {
            assert.ok(target.expr, `${panel.title}: a PromQL expression`);
            const promql = interpolatePromql(target.expr, { service: { ...choice, variable } }, iv);
            const result = await query(promql);
            assert.ok(result.length > 0, `${panel.title} / ${target.refId} (${choice.value}): no series\n${promql}`);
            queries++;
          }
        }
      }
      assert.ok(queries >= 10);
    });
  });
}

it('every provisioned dashboard has its panel queries checked', () => {
  const files = readdirSync(new URL('infra/compose/grafana/dashboards/', ROOT)).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, Object.keys(CHECKED).sort());
});
