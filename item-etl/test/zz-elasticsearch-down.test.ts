// Elasticsearch stopped for 30 s under a live stream: the consumer keeps its group membership
// (heartbeats between write retries), commits nothing it could not write, and indexes everything
// once Elasticsearch is back. This stops the Elasticsearch the whole local stack uses and always
// starts it again (finally); the file name keeps it last among the item-etl tests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ItemSnapshot } from '@shop/contracts';
import type { App } from '@shop/kit';
import { buildService } from '../src/app.ts';
import { ROOT, committedOffsets, createFixture, highWatermarks, sleep, waitFor, type Fixture } from './helpers.ts';

const run = promisify(execFile);
const elasticsearch = (action: 'stop' | 'start') => run('bash', ['infra/elasticsearch.sh', action], { cwd: ROOT, timeout: 180_000 });

let f: Fixture;
let app: App;

before(async () => {
  f = await createFixture('esdown', { seedDatabase: false });
  ({ app } = await buildService(f.env()));
  await app.ready();
});
after(async () => {
  await app?.close();
  await f?.close();
});

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + Math.max(0, b), 0);

describe('Elasticsearch down for 30 s', () => {
  it('retries the same batch until Elasticsearch is back, then everything is indexed', async () => {
    const items: ItemSnapshot[] = Array.from({ length: 50 }, (_, i) => f.snapshot({ name: `Товар ${i}` }));
    await f.produceEvents(items.map((s) => f.event('item.created', s)));
    await waitFor('the first 50 documents', async () => (await f.count()) === 50, 30_000);
    await waitFor('offsets committed', async () => sum(await committedOffsets(f)) === sum(await highWatermarks(f)));
    const committedBefore = sum(await committedOffsets(f));

    let stopped = false;
    const late = Array.from({ length: 20 }, (_, i) => f.snapshot({ name: `Новый ${i}` }));
    try {
      await elasticsearch('stop');
      stopped = true;
      // While it is down: updates (v2, v3), deletes of ten items, twenty new items.
      for (const version of [2, 3]) {
        await f.produceEvents(items.map((s) => f.event('item.updated', { ...s, version, name: `${s.name} v${version}` })));
      }
      await f.produceEvents(items.slice(0, 10).map((s) => f.event('item.deleted', { ...s, version: 4, status: 'deleted' })));
      await f.produceEvents(late.map((s) => f.event('item.created', s)));
      await sleep(30_000);

      const ready = await app.inject('/health/ready');
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json<{ checks: Record<string, { status: string }> }>().checks.elasticsearch?.status, 'down');
      assert.equal(app.etl.consumer.state, 'running', 'the consumer kept its group membership');
      assert.equal(sum(await committedOffsets(f)), committedBefore, 'nothing is committed while nothing can be written');
      const retries = /etl_bulk_retries_total\{[^}]*\} (\d+)/.exec((await app.inject('/metrics')).body);
      assert.ok(Number(retries?.[1]) > 3, `bulk retries: ${retries?.[1]}`);
    } finally {
      if (stopped) await elasticsearch('start');
    }

    await waitFor('everything indexed', async () => {
      const [v3, fresh, total] = await Promise.all([f.count({ term: { version: 3 } }), f.count({ terms: { id: late.map((s) => s.id) } }), f.count()]);
      return v3 === 40 && fresh === 20 && total === 60;
    }, 120_000, 1_000);
    for (const s of items.slice(0, 10)) assert.equal(await f.doc(s.id), undefined);
    await waitFor('offsets committed to the end', async () => {
      const [c, h] = await Promise.all([committedOffsets(f), highWatermarks(f)]);
      return [...h].every(([p, hw]) => c.get(p) === hw);
    }, 30_000);
  });
});
