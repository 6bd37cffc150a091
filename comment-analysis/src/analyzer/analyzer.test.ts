// The analyzer on its own: rules (negation, intensifiers, stars, mixed opinions), aspects, flags, language and bad
// input. Stems come from data/stem-cache.json (Hunspell via Elasticsearch _analyze, written by `cli.ts stem-cache`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Analyzer } from './analyzer.ts';
import { StemTable } from './stem-table.ts';

const analyzer = await Analyzer.create(StemTable.fromFile());
const run = (text: string, rating?: number) => analyzer.analyze(rating === undefined ? { text } : { text, rating });

test('negation flips polarity: "не понравилось", "not bad", "без нареканий", "не рекомендую"', async () => {
  assert.equal((await run('Понравилось, рекомендую')).sentiment, 'positive');
  assert.equal((await run('Не понравилось, не рекомендую')).sentiment, 'negative');
  const notBad = await run('Not bad at all');
  assert.ok(notBad.score > 0 && (await run('Bad')).score < 0, 'not bad leans positive');
  assert.equal((await run('Without a doubt not good, I would not recommend it')).sentiment, 'negative');
  assert.equal((await run('Без нареканий, служит год')).sentiment, 'positive');
});

test('intensifiers strengthen and diminishers soften', async () => {
  const plain = await run('Хороший чайник для дома');
  const strong = await run('Очень хороший чайник для дома');
  const soft = await run('Немного хороший чайник для дома');
  assert.ok(strong.score > plain.score && plain.score > soft.score, `${strong.score} > ${plain.score} > ${soft.score}`);
});

test('the star rating decides only where the text says little, and never overrides clear text', async () => {
  assert.equal((await run('Купил сыну на день рождения', 5)).sentiment, 'positive');
  assert.equal((await run('Купил сыну на день рождения', 3)).sentiment, 'neutral');
  assert.equal((await run('Купил сыну на день рождения', 1)).sentiment, 'negative');
  assert.equal((await run('Ужасное качество, брак, сломался через день', 5)).sentiment, 'negative');
  assert.equal((await run('Excellent, works perfectly, highly recommend', 1)).sentiment, 'positive');
});

test('a mixed review is neutral and each aspect keeps its own polarity', async () => {
  const a = await run('Качество хорошее, но маломерит, брать на размер больше.', 3);
  assert.equal(a.sentiment, 'neutral');
  assert.deepEqual(a.aspects.map((x) => [x.aspect, x.polarity]), [['quality', 'positive'], ['size', 'negative']]);
  const b = await run('Great sound, but the battery dies in two hours.', 3);
  assert.deepEqual(b.aspects.map((x) => [x.aspect, x.polarity]), [['battery', 'negative'], ['sound', 'positive']]);
});

test('aspects match every form of a word (stems)', async () => {
  for (const text of ['Батарея слабая', 'Батареи хватает ненадолго', 'Про батарею: слабовато', 'The battery is weak', 'Batteries are weak']) {
    assert.ok((await run(text)).aspects.some((x) => x.aspect === 'battery'), text);
  }
  const delivery = await run('Доставили быстро, arrived quickly');
  assert.ok(delivery.aspects.some((x) => x.aspect === 'delivery' && x.polarity === 'positive'));
});

test('domain vocabulary: маломерит, брак, вернул, arrived broken, runs small', async () => {
  assert.deepEqual((await run('Маломерит')).aspects.map((x) => [x.aspect, x.polarity]), [['size', 'negative']]);
  assert.equal((await run('Пришёл брак, вернул продавцу')).sentiment, 'negative');
  assert.equal((await run('Arrived broken, sent it back')).sentiment, 'negative');
  assert.deepEqual((await run('Nice fabric but runs small')).aspects.find((x) => x.aspect === 'size')?.polarity, 'negative');
});

test('language: Russian, English, mixed, unknown', async () => {
  assert.equal((await run('Отличные кроссовки')).language, 'ru');
  assert.equal((await run('Great sneakers')).language, 'en');
  assert.equal((await run('Кроссовки Nike running shoes, отличные')).language, 'mixed');
  assert.equal((await run('👍👍👍')).language, 'unknown');
});

test('flags: profanity, links, phones, shouting, too short', async () => {
  assert.deepEqual((await run('Полное говно, не берите этот товар')).flags, ['profanity']);
  assert.deepEqual((await run('This is fucking useless junk, avoid')).flags, ['profanity']);
  assert.deepEqual((await run('Дешевле тут: https://example.com/deal заходите')).flags, ['link']);
  assert.deepEqual((await run('Пишите в телеграм t.me/cheapshop дешевле')).flags, ['link']);
  assert.deepEqual((await run('Звоните +7 (912) 345-67-89, продам дешевле')).flags, ['phone']);
  assert.deepEqual((await run('ЭТО ПРОСТО УЖАСНЫЙ ТОВАР НЕ ПОКУПАЙТЕ')).flags, ['shouting']);
  assert.deepEqual((await run('Норм')).flags, ['too_short']);
  // not flagged: a size, a model number, a polite review with a name in capitals
  assert.deepEqual((await run('Размер 42, модель 2023 года, брал у ООО Ромашка')).flags, []);
  assert.deepEqual((await run('Победа! Требовать больше нечего, сукно плотное')).flags, []);
});

test('bad input does not crash: empty, 2,000 of one letter, NUL, emoji only, control characters', async () => {
  const cases = ['', ' ', 'а'.repeat(2000), 'a'.repeat(2000), 'хорошо\u0000хорошо', '\u0000', '😍😍😍', '👎', '\u0007\u001b[31m', 'x'.repeat(39) + ' y'];
  for (const text of cases) {
    const a = await run(text, 4);
    assert.ok(['positive', 'neutral', 'negative'].includes(a.sentiment));
    assert.ok(a.score >= -1 && a.score <= 1);
  }
  assert.deepEqual((await run('а'.repeat(2000))).flags, ['too_short']);
  assert.equal((await run('😍😍😍')).sentiment, 'positive');
  assert.equal((await run('👎', 3)).sentiment, 'negative');
  assert.equal((await run('', 3)).sentiment, 'neutral');
});

test('every analysis names the analyzer version (rules + data hash)', async () => {
  assert.match((await run('ok')).version, /^\d+\+[0-9a-f]{10}$/);
});
