// What the orders store accepts from `orders` (DESIGN.md, "The order document"): the contract's schema
// (@shop/contracts OrderDocument) at decode time, then the contract's consistency rules (totals, the sale
// arithmetic, non-negative amounts, 1..100 items) and plausible dates. Each refusal names its reason, the
// `x-dlq-reason` header's label and the `orders_dlq_total{reason}` series.
import { createHash } from 'node:crypto';
import { OrderDocument, orderDocumentProblems, type OrderDocument as Doc } from '@shop/contracts';
import { decodeJson, type Validation } from '@shop/contracts/codec';
import type { Rejection } from '@shop/kit';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export type { Doc as OrderDocument };

/** Refusal labels (besides the kit's `empty`, `invalid-json`, `schema` and `decode-error` at decode time). */
export const REASONS = ['empty', 'invalid-json', 'schema', 'inconsistent', 'implausible-date', 'unstorable', 'conflict'] as const;

/** The earliest date an order may carry (a marketplace order before this is a broken clock or a bad field). */
export const EARLIEST = Date.UTC(2000, 0, 1);
/** How far in the future a date may be (clock skew between a channel and us). */
export const FUTURE_SKEW_MS = 24 * 3600 * 1000;

const schema = TypeCompiler.Compile(OrderDocument);

/** The decoder of the consumer: JSON and the contract's schema (types, lengths, 1..100 items). */
export function validateSchema(value: unknown): Validation<Doc> {
  if (!schema.Check(value)) return { ok: false, errors: [...schema.Errors(value)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`) };
  return { ok: true, value };
}
export const decodeOrder = (bytes: Buffer | null): Validation<Doc> => decodeJson(bytes, validateSchema);

/** Dates that cannot be a real order's: unparseable (2021-13-45), before 2000, more than a day ahead. */
export function dateProblems(doc: Doc, now = Date.now()): string[] {
  const problems: string[] = [];
  const created = Date.parse(doc.date_created);
  const check = (pointer: string, ms: number, shown: string | number) => {
    if (!Number.isFinite(ms)) problems.push(`${pointer}: ${shown} is not a date`);
    else if (ms < EARLIEST) problems.push(`${pointer}: ${shown} is before 2000-01-01`);
    else if (ms > now + FUTURE_SKEW_MS) problems.push(`${pointer}: ${shown} is in the future`);
  };
  // Date.parse accepts 2021-02-30 (rolled over to March 2): the calendar date must exist.
  const [y, m, d] = doc.date_created.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) problems.push(`/date_created: ${doc.date_created} is not a calendar date`);
  else check('/date_created', created, doc.date_created);
  check('/payment/payment_dt', doc.payment.payment_dt * 1000, doc.payment.payment_dt);
  return problems;
}

const INT4 = 2 ** 31 - 1;
// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const UNSTORABLE_TEXT = /\u0000|\p{Cs}/u;

/**
 * What the contract allows but PostgreSQL cannot hold (the document would fail its transaction every time and
 * hold up the partition): NUL characters and lone surrogates in text, 4-byte integer fields out of range, a
 * date_created longer than its column. Empty when storable.
 */
export function storageProblems(doc: Doc): string[] {
  const problems: string[] = [];
  const visit = (value: unknown, pointer: string): void => {
    if (typeof value === 'string') {
      if (UNSTORABLE_TEXT.test(value)) problems.push(`${pointer}: text with a NUL character or a lone surrogate`);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) visit(child, `${pointer}/${key}`);
    }
  };
  visit(doc, '');
  if (Math.abs(doc.sm_id) > INT4) problems.push(`/sm_id: ${doc.sm_id} is out of the 32-bit range`);
  doc.items.forEach((item, i) => {
    if (Math.abs(item.status) > INT4) problems.push(`/items/${i}/status: ${item.status} is out of the 32-bit range`);
  });
  if (doc.date_created.length > 40) problems.push('/date_created: longer than 40 characters');
  return problems;
}

/** The rules beyond the schema: undefined when the document may be stored, else why not. */
export function refusal(doc: Doc, now = Date.now()): Rejection | undefined {
  const inconsistent = orderDocumentProblems(doc);
  if (inconsistent.length) return { reason: 'inconsistent', detail: inconsistent.slice(0, 10).join('; ') };
  const dates = dateProblems(doc, now);
  if (dates.length) return { reason: 'implausible-date', detail: dates.join('; ') };
  const unstorable = storageProblems(doc);
  if (unstorable.length) return { reason: 'unstorable', detail: unstorable.slice(0, 10).join('; ') };
  return undefined;
}

/**
 * A PostgreSQL refusal of the data itself (SQLSTATE class 22 data exception, 23 integrity constraint): the same
 * document fails again on every try. Anything else (connection lost, server shutting down) may pass on a retry.
 */
export const isDataError = (err: unknown): boolean => /^2[23]/.test(String((err as { code?: unknown }).code ?? ''));

/** JSON with the keys of every object sorted: the same document always has the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content fingerprint that tells a redelivery (same) from a conflicting document (different). */
export const contentHash = (doc: Doc): string => createHash('sha256').update(canonicalJson(doc)).digest('hex');
