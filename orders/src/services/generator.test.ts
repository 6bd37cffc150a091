import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INVALID_KINDS, OrderGenerator, REASON_OF, summarize } from './generator.ts';
import { contentHash, decodeOrder, refusal } from './validation.ts';

describe('order generator', () => {
  it('makes valid, consistent documents in Russian and English', () => {
    const gen = new OrderGenerator({ count: 0, seed: 7 });
    const locales = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const doc = gen.order();
      const decoded = decodeOrder(Buffer.from(JSON.stringify(doc)));
      assert.ok(decoded.ok, JSON.stringify(decoded));
      assert.equal(refusal(doc), undefined);
      locales.add(doc.locale);
    }
    assert.deepEqual([...locales].sort(), ['en', 'ru']);
  });

  it('makes each invalid kind refused for its reason', () => {
    const gen = new OrderGenerator({ count: 0, seed: 8 });
    for (const kind of INVALID_KINDS) {
      const { value } = gen.invalidMessage(kind);
      const decoded = decodeOrder(value);
      const reason = decoded.ok ? refusal(decoded.value)?.reason
        : decoded.errors[0]!.startsWith('empty') ? 'empty' : decoded.errors[0]!.startsWith('not JSON') ? 'invalid-json' : 'schema';
      assert.equal(reason, REASON_OF[kind], kind);
    }
  });

  it('draws the requested shares; duplicates repeat bytes, conflicts change content under the same uid; seeded', () => {
    const messages = new OrderGenerator({ count: 2000, invalid: 0.05, duplicates: 0.02, conflicts: 0.01, seed: 9 }).messages();
    const s = summarize(messages);
    assert.equal(s.sent, 2000);
    assert.ok(s.invalid > 60 && s.invalid < 140, `invalid ${s.invalid}`);
    assert.ok(s.duplicates > 20 && s.duplicates < 70, `duplicates ${s.duplicates}`);
    assert.ok(s.conflicts > 5 && s.conflicts < 40, `conflicts ${s.conflicts}`);
    const byUid = new Map(messages.filter((m) => m.kind === 'valid').map((m) => [m.uid, m]));
    for (const m of messages.filter((x) => x.kind === 'duplicate')) assert.deepEqual(m.value, byUid.get(m.uid)!.value);
    for (const m of messages.filter((x) => x.kind === 'conflict')) {
      const a = JSON.parse(m.value!.toString());
      const b = JSON.parse(byUid.get(m.uid)!.value!.toString());
      assert.notEqual(contentHash(a), contentHash(b));
      assert.equal(refusal(a), undefined);
    }
    const again = new OrderGenerator({ count: 2000, invalid: 0.05, duplicates: 0.02, conflicts: 0.01, seed: 9 }).messages();
    assert.deepEqual(again.map((m) => m.uid), messages.map((m) => m.uid));
  });
});
