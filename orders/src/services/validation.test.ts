import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderGenerator } from './generator.ts';
import { canonicalJson, contentHash, dateProblems, decodeOrder, refusal, storageProblems } from './validation.ts';

const NOW = Date.parse('2026-12-02T08:00:00Z');
const doc = () => new OrderGenerator({ count: 0, seed: 1, now: NOW }).order(2);

describe('order validation', () => {
  it('accepts the design document\'s example order', () => {
    const example = '{"order_uid":"b563feb7b2b84b6test","track_number":"WBILMTESTTRACK","entry":"WBIL","delivery":{"name":"Test Testov","phone":"+9720000000","zip":"2639809","city":"Kiryat Mozkin","address":"Ploshad Mira 15","region":"Kraiot","email":"test@gmail.com"},"payment":{"transaction":"b563feb7b2b84b6test","request_id":"","currency":"USD","provider":"wbpay","amount":1817,"payment_dt":1637907727,"bank":"alpha","delivery_cost":1500,"goods_total":317,"custom_fee":0},"items":[{"chrt_id":9934930,"track_number":"WBILMTESTTRACK","price":453,"rid":"ab4219087a764ae0btest","name":"Mascaras","sale":30,"size":"0","total_price":317,"nm_id":2389212,"brand":"Vivienne Sabo","status":202}],"locale":"en","internal_signature":"","customer_id":"test","delivery_service":"meest","shardkey":"9","sm_id":99,"date_created":"2021-11-26T06:22:19Z","oof_shard":"1"}';
    const decoded = decodeOrder(Buffer.from(example));
    assert.ok(decoded.ok);
    assert.equal(refusal(decoded.value, NOW), undefined);
  });

  it('refuses wrong totals, sale arithmetic and negative amounts as inconsistent', () => {
    const d = doc();
    assert.equal(refusal({ ...d, payment: { ...d.payment, goods_total: d.payment.goods_total + 1, amount: d.payment.amount + 1 } }, NOW)?.reason, 'inconsistent');
    assert.equal(refusal({ ...d, payment: { ...d.payment, amount: d.payment.amount - 1 } }, NOW)?.reason, 'inconsistent');
    const items = d.items.map((i, n) => (n === 0 ? { ...i, total_price: i.total_price + 1 } : i));
    assert.match(refusal({ ...d, items }, NOW)!.detail, /total_price/);
    assert.equal(refusal({ ...d, payment: { ...d.payment, custom_fee: -5, amount: d.payment.amount - 5 } }, NOW)?.reason, 'inconsistent');
  });

  it('refuses more than 100 items and negative amounts at the schema', () => {
    const many = new OrderGenerator({ count: 0, seed: 2 }).order(101);
    const decoded = decodeOrder(Buffer.from(JSON.stringify(many)));
    assert.ok(!decoded.ok);
    assert.match(decoded.errors[0]!, /\/items/);
    const negative = doc();
    negative.items[0]!.price = -1;
    assert.ok(!decodeOrder(Buffer.from(JSON.stringify(negative))).ok);
  });

  it('refuses implausible dates: before 2000, over a day ahead, not a calendar date, payment_dt likewise', () => {
    const d = doc();
    assert.deepEqual(dateProblems(d, NOW), []);
    assert.equal(refusal({ ...d, date_created: '1999-12-31T23:59:59Z' }, NOW)?.reason, 'implausible-date');
    assert.equal(refusal({ ...d, date_created: '2026-12-04T08:00:00Z' }, NOW)?.reason, 'implausible-date');
    assert.equal(refusal({ ...d, date_created: '2026-12-03T07:00:00+03:00' }, NOW), undefined);
    assert.equal(refusal({ ...d, date_created: '2026-02-30T10:00:00Z' }, NOW)?.reason, 'implausible-date');
    assert.equal(refusal({ ...d, date_created: '2026-01-01T25:00:00Z' }, NOW)?.reason, 'implausible-date');
    assert.equal(refusal({ ...d, payment: { ...d.payment, payment_dt: 0 } }, NOW)?.reason, 'implausible-date');
    assert.equal(refusal({ ...d, payment: { ...d.payment, payment_dt: Math.floor(NOW / 1000) + 3 * 86400 } }, NOW)?.reason, 'implausible-date');
  });

  it('fingerprints content independently of key order', () => {
    const d = doc();
    const { payment, ...rest } = d;
    const reordered = { ...rest, payment };
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(d));
    assert.equal(contentHash(reordered), contentHash(d));
    assert.notEqual(contentHash({ ...d, delivery: { ...d.delivery, city: 'Тверь' } }), contentHash(d));
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }] }), '{"a":[{"c":"x","d":2}],"b":1}');
  });

  it('refuses what PostgreSQL cannot hold as unstorable: NUL, lone surrogates, 32-bit fields out of range, a long date', () => {
    const d = doc();
    assert.deepEqual(storageProblems(d), []);
    assert.equal(refusal({ ...d, delivery: { ...d.delivery, name: 'Ivan\u0000' } }, NOW)?.reason, 'unstorable');
    assert.equal(refusal({ ...d, delivery: { ...d.delivery, city: 'Tver\ud800' } }, NOW)?.reason, 'unstorable');
    assert.equal(refusal({ ...d, sm_id: 2 ** 31 }, NOW)?.reason, 'unstorable');
    assert.equal(refusal({ ...d, items: d.items.map((i) => ({ ...i, status: -(2 ** 31) - 1 })) }, NOW)?.reason, 'unstorable');
    assert.equal(refusal({ ...d, date_created: '2026-12-02T07:00:00.123456789012345678901234567Z' }, NOW)?.reason, 'unstorable');
    assert.equal(refusal({ ...d, delivery: { ...d.delivery, name: 'Иван 😀' } }, NOW), undefined);
  });
});
