// The item lookups against a stand-in item-crud (a real HTTP server): at most CATALOG_CONCURRENCY in
// flight for one cart, a hanging item costs its own time limit and is reported failed, the others are
// answered; the request id travels along.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { StubCrud, json, stubItem } from '../../facade/test/helpers.ts';
import { CatalogClient, type LookupOutcome } from '../src/repositories/catalog.ts';

/** The item id at the end of a stub request's path. */
const idOf = (url: string | undefined) => (url ?? '').split('/').pop() as ReturnType<typeof randomUUID>;
let stub: StubCrud;
before(async () => {
  stub = await new StubCrud().start();
});
after(async () => stub?.close());

describe('CatalogClient.items', () => {
  it('keeps at most `concurrency` lookups in flight and answers every id', async () => {
    let inFlight = 0;
    let most = 0;
    stub.handle = async (req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      json(res, 200, stubItem(idOf(req.url)));
    };
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const results = await new CatalogClient(stub.url, { timeoutMs: 5_000 }).items(ids, 4);
    assert.equal(results.size, 30);
    assert.ok([...results.values()].every((r) => r.kind === 'found'));
    assert.equal(most, 4, `at most 4 at once (saw ${most})`);
  });

  it('a hanging item fails with a timeout, a missing one is gone, a broken one failed; the rest are found', async () => {
    const [hang, missing, broken, fine] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    stub.handle = (req, res) => {
      const id = idOf(req.url);
      if (id === hang) return; // never answers
      if (id === missing) return json(res, 404, { title: 'Not Found' });
      if (id === broken) return json(res, 500, { title: 'boom' });
      json(res, 200, stubItem(id));
    };
    const outcomes: LookupOutcome[] = [];
    const client = new CatalogClient(stub.url, { timeoutMs: 300, onOutcome: (o) => outcomes.push(o) });
    const results = await client.items([hang, missing, broken, fine], 8, 'cart-catalog-test');
    assert.deepEqual(results.get(hang), { kind: 'failed', reason: 'timeout' });
    assert.deepEqual(results.get(missing), { kind: 'gone' });
    assert.deepEqual(results.get(broken), { kind: 'failed', reason: 'status' });
    assert.equal(results.get(fine)?.kind, 'found');
    assert.deepEqual(outcomes.sort(), ['found', 'gone', 'status', 'timeout']);
    assert.ok(stub.requests.filter((r) => r.url.endsWith(fine)).every((r) => r.headers['x-request-id'] === 'cart-catalog-test'));
  });

  it('item-crud unreachable: every lookup failed, none thrown', async () => {
    const results = await new CatalogClient('http://127.0.0.1:9', { timeoutMs: 1_000 }).items([randomUUID(), randomUUID()], 2);
    assert.deepEqual([...results.values()].map((r) => r.kind === 'failed' && r.reason), ['unreachable', 'unreachable']);
  });
});
