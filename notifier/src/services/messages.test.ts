import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORDER_EVENT_TYPES } from '@shop/contracts';
import { pickLocale, render } from './messages.ts';

describe('notification texts', () => {
  it('picks Russian for a Russian order locale, English otherwise', () => {
    for (const l of ['ru', 'RU', 'ru-RU', 'ru_RU']) assert.equal(pickLocale(l), 'ru', l);
    for (const l of ['en', 'en-US', 'de', 'rus', 'kz', '', null, undefined]) assert.equal(pickLocale(l), 'en', String(l));
  });

  it('has a title and a body naming the order for every kind in both languages, amounts formatted', () => {
    for (const kind of ORDER_EVENT_TYPES) {
      for (const locale of ['ru', 'en'] as const) {
        const { title, body } = render({ kind, orderUid: 'A1', total: '1999.90', currency: 'RUB' }, locale);
        assert.match(title, /A1/);
        assert.match(body, /A1/);
      }
    }
    assert.match(render({ kind: 'order.placed', orderUid: 'A1', total: '1999.90', currency: 'USD' }, 'en').body, /\$1,999\.90/);
    assert.match(render({ kind: 'order.paid', orderUid: 'A1', total: '1999.90', currency: 'RUB' }, 'ru').body, /1\s999,90\s₽/);
    assert.match(render({ kind: 'order.placed', orderUid: 'A1', total: '5.00', currency: 'ZZZ' }, 'en').body, /5\.00 ZZZ|ZZZ\s5\.00/);
  });
});
