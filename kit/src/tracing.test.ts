import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SampledExport } from './tracing.ts';

const span = (traceId: string, error = false) => ({ spanContext: () => ({ traceId }), status: { code: error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET } }) as unknown as ReadableSpan;
const sink = () => {
  const ended: ReadableSpan[] = [];
  const next = { onStart: () => undefined, onEnd: (s: ReadableSpan) => ended.push(s), forceFlush: async () => undefined, shutdown: async () => undefined } as SpanProcessor;
  return { next, ended };
};

describe('SampledExport', () => {
  it('exports every trace at ratio 1 and none at 0, but always the spans that ended with an error', () => {
    const all = sink();
    const none = sink();
    const every = new SampledExport(all.next, 1);
    const nothing = new SampledExport(none.next, 0);
    for (const id of ['0'.repeat(32), 'f'.repeat(32), '4bf92f3577b34da6a3ce929d0e0e4736']) {
      every.onEnd(span(id));
      nothing.onEnd(span(id));
    }
    nothing.onEnd(span('f'.repeat(32), true));
    assert.equal(all.ended.length, 3);
    assert.deepEqual(none.ended.map((s) => s.status.code), [SpanStatusCode.ERROR]);
  });

  it('keeps about the ratio of traces, decided by the trace id alone (the same in every service)', () => {
    const kept = sink();
    const half = new SampledExport(kept.next, 0.5);
    let n = 0;
    for (let i = 0; i < 4096; i++) {
      const id = `${'0'.repeat(24)}${(i * 1_048_573 % 0x1_0000_0000).toString(16).padStart(8, '0')}`;
      half.onEnd(span(id));
      half.onEnd(span(id));
      n++;
    }
    assert.ok(kept.ended.length % 2 === 0, 'both spans of a trace or neither');
    const share = kept.ended.length / 2 / n;
    assert.ok(share > 0.45 && share < 0.55, `kept ${share}`);
  });
});
