// Against the real Elasticsearch started by the project's scripts (ELASTICSEARCH_URL).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { itemAnalysis } from '../src/analysis.ts';

const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
const index = `test-analysis-${process.pid}`;

async function tokens(analyzer: string, text: string): Promise<string[]> {
  const res = await es.indices.analyze({ index, analyzer, text });
  return (res.tokens ?? []).map((t) => t.token);
}

before(async () => {
  await es.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0, analysis: itemAnalysis } });
});
after(async () => {
  await es.indices.delete({ index, ignore_unavailable: true });
  await es.close();
});

describe('Hunspell analyzers on the real Elasticsearch', () => {
  it('reduces кроссовки, кроссовок and кроссовкам to one token', async () => {
    const forms = await Promise.all(['кроссовки', 'кроссовок', 'кроссовкам'].map((w) => tokens('shop_text', w)));
    for (const t of forms) assert.equal(t.length, 1, `one token per word, got ${JSON.stringify(forms)}`);
    assert.equal(new Set(forms.flat()).size, 1, `same token for every form, got ${JSON.stringify(forms)}`);
  });

  it('reduces laptops and laptop to one token', async () => {
    assert.deepEqual(await tokens('shop_text', 'laptops'), await tokens('shop_text', 'laptop'));
    assert.deepEqual(await tokens('shop_text', 'laptops'), ['laptop']);
  });

  it('treats ё as е in Russian morphology', async () => {
    assert.deepEqual(await tokens('shop_text', 'Ёлки зелёные'), await tokens('shop_text', 'елки зеленые'));
  });

  it('keeps words the dictionaries do not know, such as brands', async () => {
    assert.deepEqual(await tokens('shop_text', 'Nike 2024'), ['nike', '2024']);
  });

  it('does not merge unrelated words', async () => {
    const [a, b] = await Promise.all([tokens('shop_text', 'кроссовки'), tokens('shop_text', 'кросс')]);
    assert.notDeepEqual(a, b);
  });
});
