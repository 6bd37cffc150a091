import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_GROUP_SIZE, SynonymError, SynonymFile, expand, parseSynonyms, stemIndex } from './synonyms.ts';

const RULES = parseSynonyms(`
# comment
Ноутбук, laptop, notebook   # trailing comment
running shoes, кроссовки для бега, беговые кроссовки
кеды => sneakers, кроссовки
Ёлка, christmas tree
`);

test('equivalent groups map each entry to the others; one-way rules only one way', () => {
  assert.deepEqual(RULES.map.get('ноутбук'), [['laptop'], ['notebook']]);
  assert.deepEqual(RULES.map.get('laptop'), [['ноутбук'], ['notebook']]);
  assert.deepEqual(RULES.map.get('кеды'), [['sneakers'], ['кроссовки']]);
  assert.equal(RULES.map.get('sneakers'), undefined);
  assert.deepEqual(RULES.map.get('елка'), [['christmas', 'tree']]);
  assert.equal(RULES.longest, 3);
});

test('expansion prefers the longest phrase and keeps other words as they are', () => {
  const units = expand(['мужские', 'running', 'shoes', 'nike'], RULES);
  assert.deepEqual(units.map((u) => u.words.join(' ')), ['мужские', 'running shoes', 'nike']);
  assert.deepEqual(units[1]!.alternatives, [['кроссовки', 'для', 'бега'], ['беговые', 'кроссовки']]);
  assert.deepEqual(units[0]!.alternatives, []);
  assert.deepEqual(expand(['running'], RULES), [{ words: ['running'], alternatives: [] }]);
});

test('bad lists are refused as a whole', () => {
  assert.throws(() => parseSynonyms('одно'), SynonymError);
  assert.throws(() => parseSynonyms('a => '), SynonymError);
  assert.throws(() => parseSynonyms('a => b => c'), SynonymError);
  assert.throws(() => parseSynonyms('one two three four five, x'), SynonymError);
  assert.throws(() => parseSynonyms(Array.from({ length: MAX_GROUP_SIZE + 2 }, (_, i) => `w${i}`).join(', ')), SynonymError);
});

test('the file is re-read when it changes; a broken edit keeps the previous rules', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'synonyms-')), 'synonyms.txt');
  writeFileSync(file, 'ноутбук, laptop\n');
  const errors: Error[] = [];
  const source = new SynonymFile({ file, pollMs: 60_000, onError: (e) => errors.push(e) });
  await source.start();
  try {
    assert.deepEqual(source.rules.map.get('laptop'), [['ноутбук']]);
    writeFileSync(file, 'телефон, phone\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    assert.equal(await source.reload(false), true);
    assert.equal(source.rules.map.get('laptop'), undefined);
    assert.deepEqual(source.rules.map.get('phone'), [['телефон']]);
    writeFileSync(file, 'broken line without a pair\n');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    assert.equal(await source.reload(false), false);
    assert.equal(errors.length, 1);
    assert.deepEqual(source.rules.map.get('phone'), [['телефон']], 'the previous rules stay in force');
    assert.equal(await source.reload(false), false, 'an unchanged file is not re-read');
  } finally {
    source.stop();
  }
});

test('with stems, an entry matches any form of its words', async () => {
  const stems: Record<string, string[]> = { палатки: ['палатка'], палатка: ['палатка'], чугунная: ['чугунный'], чугунный: ['чугунный'], сковорода: ['сковорода'] };
  const rules = parseSynonyms('палатка, tent\nчугунный, cast iron\n');
  const stemmer = async (w: string[]) => w.map((x) => stems[x] ?? [x]);
  const index = await stemIndex(rules, stemmer);
  const query = ['палатки', 'чугунная', 'сковорода'];
  const units = expand(query, rules, { index, stems: await stemmer(query) });
  assert.deepEqual(units.map((u) => u.alternatives), [[['tent']], [['cast', 'iron']], []]);
  assert.deepEqual(expand(query, rules).map((u) => u.alternatives.length), [0, 0, 0], 'without stems only the exact form matches');
});
