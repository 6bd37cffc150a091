// The alert rules (infra/alerts.yml): valid, unit-tested with promtool against the cases of infra/alerts.test.yml
// (each rule fires on what should wake someone and stays quiet below its threshold or duration), and loaded by the
// local Prometheus that ./make.sh up runs, which evaluates them against the real services' series.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { waitFor } from '../support.ts';

const INFRA = fileURLToPath(new URL('../../infra/', import.meta.url));
const PROMETHEUS = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: INFRA, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface RuleFile { groups: { name: string; rules: { alert: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] }
const rules = (parse(readFileSync(`${INFRA}alerts.yml`, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);

describe('alert rules', () => {
  it('are valid and cover what would wake someone', () => {
    assert.match(promtool('check', 'rules', 'alerts.yml'), /SUCCESS: \d+ rules found/);
    assert.deepEqual(rules.map((r) => r.alert).sort(), [
      'ConsumerLagHigh', 'ConsumerStopped', 'DeadLettersGrowing', 'DiskAlmostFull', 'HighErrorRate', 'HighLatencyP99', 'OutboxBacklog', 'SearchIndexStale', 'ServiceDown',
    ]);
    for (const rule of rules) {
      assert.match(rule.labels?.severity ?? '', /^(page|warn)$/, `${rule.alert}: severity`);
      assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert}: summary and description`);
    }
  });

  it('pass their promtool unit tests, one case at least per rule', () => {
    assert.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
    const cases = parse(readFileSync(`${INFRA}alerts.test.yml`, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const firing = new Set(cases.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    for (const rule of rules) assert.ok(firing.has(rule.alert), `${rule.alert} is shown firing in a test case`);
  });

  it('are loaded and evaluated by the local Prometheus', async () => {
    const loaded = await waitFor('the rules at the local Prometheus', async () => {
      const res = await fetch(`${PROMETHEUS}/api/v1/rules?type=alert`);
      const body = (await res.json()) as { data: { groups: { rules: { name: string; health: string; lastEvaluation: string }[] }[] } };
      const all = body.data.groups.flatMap((g) => g.rules);
      return all.length === rules.length && all.every((r) => r.health === 'ok' && !r.lastEvaluation.startsWith('0001')) ? all : undefined;
    }, 30_000, 500);
    assert.deepEqual(loaded.map((r) => r.name).sort(), rules.map((r) => r.alert).sort());
    // The node exporter the disk alert reads is scraped.
    const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent('count(node_filesystem_size_bytes)')}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    assert.ok(Number(body.data.result[0]?.value[1] ?? 0) >= 1, 'node_filesystem_size_bytes is scraped');
  });
});
