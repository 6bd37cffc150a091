// Operator commands of comment-analysis (ELASTICSEARCH_URL, DATABASE_URL from the environment, loopback defaults):
//   node comment-analysis/src/cli.ts reanalyze [--all]   analyzes again every stored review whose analyzer version is not
//       the current one (--all: every review), and rebuilds the summaries of the items concerned (a summary that changes
//       is published to review-summaries at its next revision, like any change); prints counts
//   node comment-analysis/src/cli.ts publish-summaries [--item <id>]...   publishes every item's current review summary (or
//       those items') again at revision + 1 (outbox rows the running service relays to review-summaries): summaries from
//       before the topic, re-feeding consumers
//   node comment-analysis/src/cli.ts stem-cache          writes data/stem-cache.json: the Hunspell stems (from Elasticsearch
//       `_analyze`) of every word of the vocabulary and of the labelled set, which the unit tests and the benchmark read
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { Type, UsageError, loadConfig, printJson, runCli } from '@shop/kit';
import { Lemmatizer } from '@shop/kit/lemmas';
import { loadLabelledSet } from './analyzer/evaluation.ts';
import { loadVocabulary, vocabularyWords } from './analyzer/lexicon.ts';
import { writeStemTable } from './analyzer/stem-table.ts';
import { normalize, tokenize } from './analyzer/text.ts';

const USAGE = `usage: node comment-analysis/src/cli.ts reanalyze [--all]
       node comment-analysis/src/cli.ts publish-summaries [--item <id>]...
       node comment-analysis/src/cli.ts stem-cache`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const EsConfig = Type.Object({
  ELASTICSEARCH_URL: Type.String({ default: 'http://127.0.0.1:9200' }),
  ANALYSIS_INDEX: Type.String({ default: 'items', minLength: 1 }),
  ANALYSIS_ANALYZER: Type.String({ default: 'shop_text', minLength: 1 }),
});

async function stemCache(): Promise<number> {
  const cfg = loadConfig('comment-analysis-cli', EsConfig);
  const es = new Client({ node: cfg.ELASTICSEARCH_URL });
  try {
    const words = new Set(vocabularyWords(loadVocabulary()));
    const texts = loadLabelledSet().map((r) => r.text);
    // The unit tests' own sentences (every word of the files; code words cost nothing).
    for (const dir of ['src/analyzer/', 'test/']) {
      const url = new URL(`../${dir}`, import.meta.url);
      for (const f of readdirSync(url).filter((n) => n.endsWith('.test.ts'))) texts.push(readFileSync(new URL(f, url), 'utf8'));
    }
    for (const text of texts) for (const t of tokenize(normalize(text))) if (t.kind === 'word') words.add(t.text);
    const lemmatizer = new Lemmatizer(es, cfg.ANALYSIS_INDEX, { analyzer: cfg.ANALYSIS_ANALYZER });
    const list = [...words];
    for (let i = 0; i < list.length; i += 500) await lemmatizer.stemsStrict(list.slice(i, i + 500));
    writeStemTable(lemmatizer.entries(), { index: cfg.ANALYSIS_INDEX, analyzer: cfg.ANALYSIS_ANALYZER });
    printJson({ ok: true, words: list.length });
    return 0;
  } finally {
    await es.close();
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { all: { type: 'boolean', default: false }, item: { type: 'string', multiple: true } } });
  const [command, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (command === 'publish-summaries') {
    if (values.all) throw new UsageError('publish-summaries takes no --all (it publishes every item unless --item names some)');
    const items = values.item?.map((id) => id.toLowerCase());
    const bad = items?.filter((id) => !UUID.test(id)) ?? [];
    if (bad.length) throw new UsageError(`--item is an item id (uuid): ${bad.join(', ')}`);
    const { publishSummaries } = await import('./publish-summaries.ts');
    return publishSummaries({ items });
  }
  if (values.item) throw new UsageError('--item is an option of publish-summaries');
  if (command === 'stem-cache') return stemCache();
  if (command === 'reanalyze') {
    const { reanalyze } = await import('./reanalyze.ts');
    return reanalyze({ all: values.all });
  }
  throw new UsageError(command ? `unknown command: ${command}` : 'a command is required');
}

await runCli(main, USAGE);
