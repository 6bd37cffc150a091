// The ETL process killed with SIGKILL in the middle of a stream: restarted with the same group, it
// ends with every item at its latest version (offsets were committed only after indexing).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { committedOffsets, createFixture, highWatermarks, sleep, spawnNode, waitFor, type Child, type Fixture } from './helpers.ts';

let f: Fixture;
let child: Child | undefined;

const freePort = () => new Promise<number>((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});

async function startEtl(port: number): Promise<Child> {
  const c = spawnNode('item-etl/src/main.ts', [], f.env({ PORT: String(port), LOG_LEVEL: 'warn', BULK_MAX_DOCS: '50' }));
  await waitFor('the ETL to be ready', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
    return res?.status === 200;
  }, 60_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}\n${c.output()}`);
  });
  return c;
}

before(async () => {
  f = await createFixture('kill', { seedDatabase: false });
});
after(async () => {
  if (child) {
    child.kill('SIGTERM');
    await child.exited;
  }
  await f?.close();
});

describe('ETL killed with SIGKILL mid-batch', () => {
  it('loses nothing: after a restart every item is indexed at its latest version', async () => {
    const port = await freePort();
    child = await startEtl(port);
    const ITEMS = 200;
    const VERSIONS = 10; // 2000 events
    const snapshots = Array.from({ length: ITEMS }, (_, i) => f.snapshot({ name: `Товар ${i}` }));
    const producing = (async () => {
      for (let version = 1; version <= VERSIONS; version++) {
        await f.produceEvents(snapshots.map((s) => f.event(version === 1 ? 'item.created' : 'item.updated', { ...s, version, name: `${s.name} v${version}` })));
      }
    })();
    await waitFor('the first documents', async () => (await f.count().catch(() => 0)) > 0, 30_000, 20);
    await sleep(150);
    child.kill('SIGKILL');
    assert.equal(await child.exited, null);
    child = undefined;
    await producing;

    const [committed, high] = await Promise.all([committedOffsets(f), highWatermarks(f)]);
    const uncommitted = [...high].reduce((n, [p, h]) => n + h - Math.max(0, committed.get(p) ?? 0), 0);
    const latest = await f.count({ term: { version: VERSIONS } });
    console.log(`killed with ${uncommitted} of ${ITEMS * VERSIONS} events uncommitted, ${latest} items at v${VERSIONS}`);
    assert.ok(uncommitted > 0, 'the kill should land mid-stream');

    child = await startEtl(port);
    await waitFor(`all ${ITEMS} items at v${VERSIONS}`, async () => (await f.count({ term: { version: VERSIONS } })) === ITEMS, 90_000, 500);
    assert.equal(await f.count(), ITEMS);
    await waitFor('offsets committed to the end', async () => {
      const [c, h] = await Promise.all([committedOffsets(f), highWatermarks(f)]);
      return [...h].every(([p, hw]) => c.get(p) === hw);
    }, 30_000);
  });
});
