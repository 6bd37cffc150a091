import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectLanguage, normalize, tokenize } from './text.ts';

test('normalize folds case and ё, drops NUL and control characters, keeps apostrophes plain', () => {
  assert.equal(normalize('Ёлка\u0000 DON\u2019T'), "елка don't");
});

test('tokenize: words, emoji and one break per run of punctuation; over-long words dropped', () => {
  const tokens = tokenize(normalize('Хорошо!!! Но... 👍 чуть-чуть ' + 'а'.repeat(41)));
  assert.deepEqual(tokens, [
    { kind: 'word', text: 'хорошо' }, { kind: 'break', exclaimed: true }, { kind: 'word', text: 'но' }, { kind: 'break', exclaimed: false },
    { kind: 'emoji', text: '👍' }, { kind: 'word', text: 'чуть-чуть' },
  ]);
});

test('language by script shares', () => {
  assert.equal(detectLanguage('привет мир'), 'ru');
  assert.equal(detectLanguage('hello world, привет'), 'mixed');
  assert.equal(detectLanguage('hello world и'), 'en');
  assert.equal(detectLanguage('123 !!!'), 'unknown');
});
