import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrandKeys, latinSpelling, soundKeys } from './brands.ts';

const brands = new BrandKeys(['Nike', 'Philips', 'Bosch', "Levi's", 'New Balance', 'Xiaomi', 'Биол', 'Nokia', 'LEGO', 'LG', 'Apple', 'The North Face', "L'Oréal Paris"].map((value) => ({ value, docs: 1 })));

test('spellings in Latin letters and their sound keys', () => {
  assert.equal(latinSpelling('Щука'), 'schuka');
  assert.equal(latinSpelling('Lancôme'), 'lancome');
  assert.deepEqual(soundKeys('nike'), soundKeys(latinSpelling('найк')));
  assert.deepEqual(soundKeys('philips'), soundKeys(latinSpelling('филипс')));
  assert.deepEqual(soundKeys('bosch'), soundKeys(latinSpelling('бош')));
  assert.deepEqual(soundKeys('adidas'), ['_dds'], 'a leading vowel is kept as a vowel');
});

test('a brand typed in the other alphabet is the index\'s own spelling of it', () => {
  assert.deepEqual(brands.match(['найк']), ['nike'], 'Nike (closer) rather than Nokia (same consonants)');
  assert.deepEqual(brands.match(['нокиа']), ['nokia']);
  assert.deepEqual(brands.match(['филипс']), ['philips']);
  assert.deepEqual(brands.match(['бош']), ['bosch']);
  assert.deepEqual(brands.match(['левайс']), ["levi's"]);
  assert.deepEqual(brands.match(['левайз']), ["levi's"], 's and z alike');
  assert.deepEqual(brands.match(['нью', 'баланс']), ['new', 'balance']);
  assert.deepEqual(brands.match(['сяоми']), ['xiaomi']);
  assert.deepEqual(brands.match(['ксиоми']), ['xiaomi']);
  assert.deepEqual(brands.match(['шаоми']), ['xiaomi']);
  assert.deepEqual(brands.match(['лего']), ['lego'], 'LEGO, not LG');
  assert.deepEqual(brands.match(['biol']), ['биол'], 'Latin letters for a Russian brand');
  assert.deepEqual(brands.match(['норт', 'фейс']), ['north', 'face'], 'without "the"');
  assert.deepEqual(brands.match(['лореаль']), ["l'oréal"], 'by its first word, as the index spells it');
  assert.equal(brands.match(['нью']), undefined, 'a short first word is no name of its own');
});

test('never a brand the index does not hold, nor the same alphabet, nor too short a word', () => {
  assert.equal(brands.match(['самсунг']), undefined, 'no Samsung in this index');
  assert.equal(brands.match(['nike']), undefined, 'Latin for a Latin brand is not a transliteration');
  assert.equal(brands.match(['биол']), undefined);
  assert.equal(brands.match(['ли']), undefined);
  assert.equal(brands.match(['кроссовки']), undefined);
  assert.equal(brands.match(['асдфгх']), undefined);
});
