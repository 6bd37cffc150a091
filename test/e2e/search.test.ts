// Search through the proxy, the way a storefront calls it: a corrected query, suggestions, a bad
// request, against the live index that the demo catalog and the other suites fill.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { api } from '../../scripts/api.ts';
import { signUp } from '../support.ts';

const PROXY = process.env.PROXY_URL ?? 'http://127.0.0.1:8080';
const SSO = process.env.SSO_URL ?? 'http://127.0.0.1:8081';
const SEARCH = 'http://127.0.0.1:8084';

const seller = async () => (await signUp(SSO, { email: `search-e2e-${randomUUID()}@example.com`, password: 'search e2e password', name: 'Search e2e', role: 'seller' })).token;

describe('search through the proxy', () => {
  it('a query typed in the wrong layout is answered with didYouMean; suggestions follow the new item', async () => {
    const token = await seller();
    const word = `вуаля${randomUUID().replace(/[^a-f]/g, '').slice(0, 6).replace(/[a-f]/g, (c) => 'абвгде'['abcdef'.indexOf(c)]!)}`;
    const created = await api(PROXY, '/api/items', { method: 'POST', token, body: { name: `Термос ${word}`, description: 'e2e', brand: 'Stanley', category: 'camping', price: '2990.00', stock: 2 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Wait on the search service directly (the proxy's rate limit is not under test).
    for (const end = Date.now() + 15_000; ;) {
      const r = await api(SEARCH, `/api/search?q=${encodeURIComponent(word)}`);
      if (r.body.total === 1) break;
      if (Date.now() > end) throw new Error(`item not searchable: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const EN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.";
    const RU = 'йцукенгшщзхъфывапролджэячсмитьбю';
    const wrongLayout = [...word].map((c) => EN[RU.indexOf(c)] ?? c).join('');
    const res = await api(PROXY, `/api/search?q=${encodeURIComponent(wrongLayout)}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.didYouMean, word);
    assert.equal(res.body.correction.step, 'layout');
    assert.equal(res.body.items[0].id, created.body.id);
    // A prefix of this item's own word: the live index keeps other runs' "Термос вуаля…" items, more than a suggestion list holds.
    const suggest = await api(PROXY, `/api/search/suggest?q=${encodeURIComponent(`термос ${word.slice(0, 8)}`)}`);
    assert.equal(suggest.status, 200);
    assert.ok(suggest.body.suggestions.some((s: { id?: string }) => s.id === created.body.id), JSON.stringify(suggest.body));
    assert.equal((await api(PROXY, `/api/items/${created.body.id}`, { method: 'DELETE', token })).status, 204);
  });

  it('bad input is a 400 problem+json through the proxy', async () => {
    const res = await api(PROXY, '/api/search?q=nike&size=1000');
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  });
});
