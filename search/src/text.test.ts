import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasDigit, normalizeText, queryCodes, switchLayout, words } from './text.ts';

test('ё is е, whitespace collapses, NFKC folds compatibility forms', () => {
  assert.equal(normalizeText('  Чёрная   ЁЛКА\tｉＰｈｏｎｅ '), 'Черная ЕЛКА iPhone');
});

test('words: letters and digits, inner joiners kept, query syntax is just separators', () => {
  assert.deepEqual(words('Wi-Fi роутер TP-Link 5.0 GHz'), ['wi-fi', 'роутер', 'tp-link', '5.0', 'ghz']);
  assert.deepEqual(words('name:"x" OR (a AND b)* ~2 ^3 \\/'), ['name', 'x', 'or', 'a', 'and', 'b', '2', '3']);
  assert.deepEqual(words('c++ a+'), ['c++', 'a+']);
  assert.deepEqual(words('!!! ...'), []);
});

test('wrong keyboard layout: Latin typed for Russian and back', () => {
  assert.equal(switchLayout('rhjccjdrb'), 'кроссовки');
  assert.equal(switchLayout('yjen,er'), 'ноутбук');
  assert.equal(switchLayout('Yjen,erb'), 'ноутбуки');
  assert.equal(switchLayout('xthysq'), 'черный');
  assert.equal(switchLayout('тшлу'), 'nike');
  assert.equal(switchLayout('ыфьыгтп пфдфчн'), 'samsung galaxy');
  assert.equal(switchLayout('шзрщту 15'), 'iphone 15');
  // Mixed scripts are left alone; digits only have no other layout.
  assert.equal(switchLayout('nike кроссовки'), null);
  assert.equal(switchLayout('4060'), null);
  // A trailing comma or full stop is punctuation, not б/ю.
  assert.equal(switchLayout('ljv,'), 'дом');
});

test('digits mark model numbers', () => {
  assert.equal(hasDigit('rtx4060'), true);
  assert.equal(hasDigit('nike'), false);
});

test('model codes: the query\'s codes without separators, per word, never part of a word', () => {
  assert.deepEqual(Object.fromEntries(queryCodes(words('rtx 4060'))), { rtx: ['rtx4060'], 4060: ['rtx4060'] });
  assert.deepEqual(Object.fromEntries(queryCodes(words('WH-1000XM5'))), { 'wh-1000xm5': ['wh1000xm5'] });
  assert.deepEqual(queryCodes(words('wh1000xm5')).get('wh1000xm5'), ['wh1000xm5']);
  assert.deepEqual(queryCodes(words('iphone 15 pro')).get('pro'), ['iphone15pro', '15pro']);
  assert.deepEqual(queryCodes(words('кроссовки nike')).size, 0, 'no digits, no codes');
  assert.equal(queryCodes(words('чайник 1,7 л')).get('1,7'), undefined, 'two numbers are never one code');
});
