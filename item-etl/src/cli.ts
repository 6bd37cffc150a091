// Operator commands of item-etl, run next to the service with the same environment
// (ELASTICSEARCH_URL, DATABASE_URL, ITEMS_ALIAS, INDEX_REFRESH_INTERVAL, BULK_MAX_DOCS):
//
//   node item-etl/src/cli.ts rebuild [--keep-old] [--grace-ms <ms>]
//       Builds a new versioned index from PostgreSQL while the running service dual-writes live
//       changes into it, then swaps the alias atomically and deletes the old index after the grace
//       period (default 5000 ms; --keep-old keeps it). See src/services/rebuild.ts.
//
//   node item-etl/src/cli.ts reconcile [--repair] [--seller <uuid>]
//       Compares PostgreSQL (id, version, not deleted) with the alias and prints
//       {missing, stale, extra, counts}; --repair re-indexes missing/stale documents from PostgreSQL
//       and deletes extra ones. --seller narrows both sides to one seller.
//
// Output: one JSON document on stdout; logs (JSON) on stderr.
// Exit codes: 0 done (reconcile: no differences, or all repaired), 1 failed (rebuild aborted, reconcile
// found differences without --repair or could not repair some), 64 usage error, 75 another rebuild is
// running, 78 bad configuration.
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { UsageError, createLogger, loadConfig, printJson, runCli } from '@shop/kit';
import pg from 'pg';
import { cliConfig } from './config.ts';
import { IndexLifecycle } from './index/lifecycle.ts';
import { CatalogRepository } from './repositories/catalog.ts';
import { CategoryCache } from './services/categories.ts';
import { DocumentBuilder } from './services/documents.ts';
import { RebuildBusyError, rebuild } from './services/rebuild.ts';
import { reconcile } from './services/reconcile.ts';

const USAGE = `usage:
  node item-etl/src/cli.ts rebuild [--keep-old] [--grace-ms <ms>]
  node item-etl/src/cli.ts reconcile [--repair] [--seller <uuid>]`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;


async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'rebuild' && command !== 'reconcile') throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  const { values } = (() => {
    try {
      return parseArgs({
        args: rest,
        strict: true,
        options: command === 'rebuild'
          ? { 'keep-old': { type: 'boolean' }, 'grace-ms': { type: 'string' } }
          : { repair: { type: 'boolean' }, seller: { type: 'string' } },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  })() as { values: { 'keep-old'?: boolean; 'grace-ms'?: string; repair?: boolean; seller?: string } };
  const graceMs = values['grace-ms'] === undefined ? undefined : Number(values['grace-ms']);
  if (graceMs !== undefined && !(Number.isInteger(graceMs) && graceMs >= 0)) throw new UsageError('--grace-ms must be a whole number of milliseconds');
  if (values.seller !== undefined && !UUID.test(values.seller)) throw new UsageError('--seller must be a uuid');

  const cfg = loadConfig('item-etl', cliConfig);
  const log = createLogger('item-etl-cli', cfg.LOG_LEVEL, process.stderr);
  const es = new Client({ node: cfg.ELASTICSEARCH_URL, requestTimeout: 30_000, maxRetries: 2 });
  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: 4, connectionTimeoutMillis: 5_000 });
  try {
    const lifecycle = new IndexLifecycle(es, { alias: cfg.ITEMS_ALIAS, refreshInterval: cfg.INDEX_REFRESH_INTERVAL });
    const catalog = new CatalogRepository(pool);
    const documents = new DocumentBuilder(new CategoryCache({ load: () => catalog.categories() }), catalog);
    if (command === 'rebuild') {
      try {
        const report = await rebuild({ lifecycle, catalog, documents, log }, { bulkMaxDocs: cfg.BULK_MAX_DOCS, graceMs, keepOld: values['keep-old'] });
        printJson({ ok: true, ...report });
        return 0;
      } catch (err) {
        if (err instanceof RebuildBusyError) {
          printJson({ ok: false, error: err.message });
          return 75;
        }
        printJson({ ok: false, error: (err as Error).message, failed: (err as { failed?: unknown }).failed });
        return 1;
      }
    }
    const report = await reconcile({ lifecycle, catalog, documents }, {
      repair: values.repair, scope: values.seller ? { sellerId: values.seller } : {}, bulkMaxDocs: cfg.BULK_MAX_DOCS,
    });
    const differences = report.counts.missing + report.counts.stale + report.counts.extra;
    printJson({ ok: values.repair ? report.repaired!.failed.length === 0 : differences === 0, ...report });
    if (values.repair) return report.repaired!.failed.length === 0 ? 0 : 1;
    return differences === 0 ? 0 : 1;
  } finally {
    await es.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
}

await runCli(() => main(process.argv.slice(2)), USAGE);
