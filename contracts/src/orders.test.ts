import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeOrderDocument, encodeOrderDocument, orderDocumentProblems, saleTotal, validateOrderDocument, type OrderDocument } from './orders.ts';

/** DESIGN.md's example: the channel's own test order. */
const example = (): OrderDocument => JSON.parse(`{"order_uid":"b563feb7b2b84b6test","track_number":
"WBILMTESTTRACK","entry":"WBIL","delivery":{"name":"Test Testov","phone":"+9720000000","zip":
"2639809","city":"Kiryat Mozkin","address":"Ploshad Mira 15","region":"Kraiot","email":
"test@gmail.com"},"payment":{"transaction":"b563feb7b2b84b6test","request_id":"","currency":
"USD","provider":"wbpay","amount":1817,"payment_dt":1637907727,"bank":"alpha","delivery_cost":
1500,"goods_total":317,"custom_fee":0},"items":[{"chrt_id":9934930,"track_number":
"WBILMTESTTRACK","price":453,"rid":"ab4219087a764ae0btest","name":"Mascaras","sale":30,"size":
"0","total_price":317,"nm_id":2389212,"brand":"Vivienne Sabo","status":202}],"locale":"en",
"internal_signature":"","customer_id":"test","delivery_service":"meest","shardkey":"9",
"sm_id":99,"date_created":"2021-11-26T06:22:19Z","oof_shard":"1"}`) as OrderDocument;

describe('order document', () => {
  it("accepts DESIGN.md's example and round-trips it through the codec", () => {
    assert.deepEqual(orderDocumentProblems(example()), []);
    const decoded = decodeOrderDocument(encodeOrderDocument(example()));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, example());
  });

  it('rounds the sale half up in integers', () => {
    assert.equal(saleTotal(453, 30), 317); // 317.1
    assert.equal(saleTotal(5, 50), 3); // 2.5 → 3
    assert.equal(saleTotal(199990, 0), 199990);
    assert.equal(saleTotal(199990, 100), 0);
  });

  it('names every broken total', () => {
    const doc = example();
    doc.items[0]!.total_price = 318;
    assert.deepEqual(orderDocumentProblems(doc).map((p) => p.split(':')[0]), ['/items/0/total_price', '/payment/goods_total']);
    const amount = example();
    amount.payment.amount = 1816;
    assert.deepEqual(orderDocumentProblems(amount).map((p) => p.split(':')[0]), ['/payment/amount']);
    const fee = example();
    fee.payment.custom_fee = 1;
    assert.deepEqual(orderDocumentProblems(fee).map((p) => p.split(':')[0]), ['/payment/amount']);
  });

  it('refuses negative or fractional amounts, no items and more than 100', () => {
    const negative = example();
    negative.payment.delivery_cost = -1500;
    negative.payment.amount = 317 - 1500;
    assert.ok(orderDocumentProblems(negative).some((p) => p.startsWith('/payment/delivery_cost')));
    assert.equal(validateOrderDocument(negative).ok, false);
    const fraction = example();
    fraction.items[0]!.price = 453.5;
    assert.equal(validateOrderDocument(fraction).ok, false);
    const none = example();
    none.items = [];
    assert.equal(validateOrderDocument(none).ok, false);
    assert.ok(orderDocumentProblems(none).some((p) => p.startsWith('/items')));
    const many = example();
    many.items = Array.from({ length: 101 }, () => ({ ...example().items[0]! }));
    many.payment.goods_total = 317 * 101;
    many.payment.amount = many.payment.goods_total + 1500;
    assert.equal(validateOrderDocument(many).ok, false);
    many.items.pop();
    many.payment.goods_total = 317 * 100;
    many.payment.amount = many.payment.goods_total + 1500;
    assert.equal(validateOrderDocument(many).ok, true);
  });

  it('refuses missing fields, unknown ones and encodes nothing invalid', () => {
    const { delivery: _, ...missing } = example();
    assert.equal(validateOrderDocument(missing).ok, false);
    assert.equal(validateOrderDocument({ ...example(), extra: 1 }).ok, false);
    const bad = example();
    bad.payment.goods_total = 1;
    assert.throws(() => encodeOrderDocument(bad), /goods_total/);
    assert.equal(decodeOrderDocument(Buffer.from('{')).ok, false);
  });
});
