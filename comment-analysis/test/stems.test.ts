// The stem cache the unit tests read (data/stem-cache.json) against the live Elasticsearch's `_analyze` with the
// items index's analyzer: the unit tests see the stems the service sees, or this fails (regenerate the cache with
// `node comment-analysis/src/cli.ts stem-cache`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { Lemmatizer } from '@shop/kit/lemmas';
import { STEM_CACHE_FILE } from '../src/analyzer/stem-table.ts';

const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';

test('the stem cache agrees with Elasticsearch _analyze (shop_text) word for word', async () => {
  const { stems } = JSON.parse(readFileSync(STEM_CACHE_FILE, 'utf8')) as { stems: Record<string, string[]> };
  const es = new Client({ node: ELASTICSEARCH_URL });
  try {
    const lemmatizer = new Lemmatizer(es, process.env.ANALYSIS_INDEX ?? 'items');
    const words = Object.keys(stems);
    assert.ok(words.length > 1000);
    const live: string[][] = [];
    for (let i = 0; i < words.length; i += 500) live.push(...await lemmatizer.stemsStrict(words.slice(i, i + 500)));
    const differing = words.filter((w, i) => JSON.stringify([...live[i]!].sort()) !== JSON.stringify([...stems[w]!].sort()));
    assert.deepEqual(differing, []);
  } finally {
    await es.close();
  }
});

test('without Elasticsearch a word stands for itself and is asked again later', async () => {
  const es = new Client({ node: 'http://127.0.0.1:9', requestTimeout: 500, maxRetries: 0 });
  try {
    const lemmatizer = new Lemmatizer(es, 'items');
    assert.deepEqual(await lemmatizer.stems(['понравилось']), [['понравилось']]);
    assert.deepEqual(lemmatizer.entries(), []);
    await assert.rejects(lemmatizer.stemsStrict(['понравилось']));
  } finally {
    await es.close();
  }
});
