import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeParts, codeWindows, modelCodes } from './text.ts';

test('model codes: runs of parts with a digit, joined without separators', () => {
  assert.deepEqual(codeParts('Sony WH-1000XM5, чёрные'), ['sony', 'wh', '1000xm5', 'черные']);
  const codes = modelCodes('Беспроводные наушники Sony WH-1000XM5');
  for (const code of ['wh1000xm5', '1000xm5', 'sonywh1000xm5']) assert.ok(codes.includes(code), code);
  assert.ok(modelCodes('Ноутбук RTX 4060').includes('rtx4060'));
  assert.ok(modelCodes("De'Longhi ECAM22.110.B").includes('ecam22110b'));
  assert.deepEqual(modelCodes('Кроссовки Nike Pegasus'), [], 'no digits, no codes');
});

test('model codes: a number alone is no code, and two numbers are never joined', () => {
  assert.deepEqual(codeWindows(['42151']), []);
  assert.ok(!modelCodes('Чайник 1,7 л').includes('17'));
  assert.ok(!modelCodes('Ноутбук 16/512 ГБ').includes('16512'));
});

test('model codes: the shortest first, so a long name keeps its own codes under the cap', () => {
  const codes = modelCodes(Array.from({ length: 40 }, (_, i) => `a${i}`).join(' '), 10);
  assert.equal(codes.length, 10);
  assert.deepEqual(codes.slice(0, 3), ['a0', 'a1', 'a2']);
});
