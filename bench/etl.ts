// ETL throughput vs. raw _bulk of the same documents, in one run on the same Elasticsearch.
// ETL: N item.created events on a bench topic, consumed, validated, normalized, enriched and
// bulk-indexed by the real item-etl (in-process, its own topic/alias/group). Baseline: the very
// documents it produced, bulk-indexed straight into a fresh index with the same mapping, with the
// same batch size and the same concurrency. Needs ./make.sh up. Usage: node bench/etl.ts [--events 20000]
import { parseArgs } from 'node:util';
import { createFixture } from '../item-etl/test/helpers.ts';
import { buildService } from '../item-etl/src/app.ts';
import { itemIndexSettings, itemMappings } from '../item-etl/src/index/mapping.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' } } });
const N = Number(values.events);
const BATCH = 500;
const CONCURRENCY = 3;

const fx = await createFixture('bench');
const raw = `bench-raw-${fx.suffix}`;
try {
  const events = Array.from({ length: N }, (_, i) => fx.event('item.created', fx.snapshot({ name: `Кроссовки для бега модель ${i}`, description: `Лёгкие беговые кроссовки, вариант ${i}` })));
  for (let i = 0; i < events.length; i += 1000) await fx.produceEvents(events.slice(i, i + 1000));

  const etl = await buildService(fx.env({ PORT: '18083', LOG_LEVEL: 'warn', ...(process.env.BULK_MAX_DOCS ? { BULK_MAX_DOCS: process.env.BULK_MAX_DOCS } : {}) }));
  const started = performance.now();
  await etl.app.ready();
  let firstAt: number | undefined;
  for (;;) {
    const count = await fx.count();
    if (count > 0) firstAt ??= performance.now();
    if (count >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const steadySeconds = (performance.now() - firstAt!) / 1000;
  const etlSeconds = (performance.now() - started) / 1000;
  await etl.app.close();

  // The ETL's own output, read back in id order.
  const docs: { _id: string; _version?: number; _source: Record<string, unknown> }[] = [];
  let after: unknown[] | undefined;
  for (;;) {
    const page = await fx.es.search<Record<string, unknown>>({ index: fx.alias, size: 5000, sort: [{ id: 'asc' }], search_after: after as never, version: true, query: { match_all: {} } });
    if (page.hits.hits.length === 0) break;
    for (const h of page.hits.hits) docs.push({ _id: h._id!, _version: h._version, _source: h._source! });
    after = page.hits.hits.at(-1)!.sort;
  }
  await fx.es.indices.create({ index: raw, settings: itemIndexSettings('1s'), mappings: itemMappings });
  const queue = Array.from({ length: Math.ceil(docs.length / BATCH) }, (_, i) => docs.slice(i * BATCH, (i + 1) * BATCH));
  const rawStarted = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      const res = await fx.es.bulk({ operations: batch.flatMap((d) => [{ index: { _index: raw, _id: d._id, version: d._version, version_type: 'external' as const } }, d._source]) });
      if (res.errors) throw new Error('raw bulk had errors');
    }
  }));
  await fx.es.indices.refresh({ index: raw });
  const rawSeconds = (performance.now() - rawStarted) / 1000;

  const round = (n: number) => Math.round(n * 100) / 100;
  const etlRate = N / etlSeconds;
  const rawRate = docs.length / rawSeconds;
  console.log(JSON.stringify({
    benchmark: 'etl-throughput', events: N, batch: BATCH, concurrency: CONCURRENCY,
    etl: {
      seconds: round(etlSeconds), eventsPerSecond: Math.round(etlRate), note: 'from consumer start (includes joining the group) to all documents searchable',
      steadySeconds: round(steadySeconds), steadyEventsPerSecond: Math.round(N / steadySeconds), steadyNote: 'from the first document searchable to the last',
    },
    rawBulk: { documents: docs.length, seconds: round(rawSeconds), docsPerSecond: Math.round(rawRate) },
    ratio: round(etlRate / rawRate), steadyRatio: round(N / steadySeconds / rawRate), goal: { ratioAtLeast: 0.5 },
  }, null, 2));
} finally {
  await fx.es.indices.delete({ index: raw, ignore_unavailable: true });
  await fx.close();
}
