// `cli.ts evaluate` as an operator runs it: JSON on stdout, 64 on a bad command line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DATABASE_URL } from './helpers.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const cli = (args: string[]) => run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL_RECOMMENDATIONS: DATABASE_URL } });

interface Report { source: string; evaluated: number; recommenders: Record<string, { hr: number; ndcg: number; precision: number; coverage: number }>; personalNdcgLift: number }

describe('cli evaluate', () => {
  it('on a seeded simulation prints every recommender’s metrics; personal beats popularity’s NDCG@10 by ≥ 20 %', async () => {
    const { stdout } = await cli(['evaluate', '--source', 'synthetic', '--users', '300', '--seed', '11']);
    const report = JSON.parse(stdout) as Report;
    console.log(stdout);
    assert.deepEqual(Object.keys(report.recommenders), ['popular', 'popular-category', 'item-knn', 'personal']);
    for (const s of Object.values(report.recommenders)) for (const v of [s.hr, s.ndcg, s.precision, s.coverage]) assert.ok(v >= 0 && v <= 1);
    assert.ok(report.recommenders.personal!.ndcg >= 1.2 * report.recommenders.popular!.ndcg);
    assert.ok(report.personalNdcgLift >= 0.2);
  });

  it('reads the service’s own database by default', async () => {
    const report = JSON.parse((await cli(['evaluate'])).stdout) as Report;
    assert.equal(report.source, 'database');
    assert.ok(report.recommenders.popular);
    const future = JSON.parse((await cli(['evaluate', '--since', '2100-01-01T00:00:00Z'])).stdout) as Report;
    assert.equal(future.evaluated, 0);
  });

  it('exits 64 on a bad command line', async () => {
    for (const args of [['rebuild'], ['evaluate', '--k', '0'], ['evaluate', '--source', 'csv'], ['evaluate', '--users', '5'], ['evaluate', '--since', 'yesterday']]) {
      await assert.rejects(cli(args), (err: { code?: number }) => err.code === 64, args.join(' '));
    }
  });
});
