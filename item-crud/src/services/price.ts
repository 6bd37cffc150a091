/** Prices are exact decimals with two fraction digits, stored as DECIMAL(14,2) and shown as strings. */
export const MAX_PRICE = '999999999999.99';

const DECIMAL = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;

export type PriceResult = { ok: true; value: string } | { ok: false; reason: string };

/**
 * Accepts `"1999.90"`, `"1999.9"`, `"1999"` or a JSON number with at most two decimals, greater than
 * zero and at most 999999999999.99; answers the canonical two-decimal string (`"1999.90"`).
 * Exponents, signs, spaces, NaN/Infinity and more decimals are refused, never rounded.
 */
export function normalizePrice(input: unknown): PriceResult {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, reason: 'must be a finite number' };
    // String(n) is the shortest round-trip form: 0.1 + 0.2 shows its extra digits and is refused.
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return { ok: false, reason: 'must be a decimal string like "1999.90" or a number' };
  }
  if (!DECIMAL.test(text)) {
    return { ok: false, reason: 'must be a plain decimal greater than 0 with at most 2 decimals and 12 integer digits (like "1999.90")' };
  }
  const [whole = '0', fraction = ''] = text.split('.');
  const value = `${whole}.${fraction.padEnd(2, '0')}`;
  if (/^0\.00$/.test(value)) return { ok: false, reason: 'must be greater than 0' };
  return { ok: true, value };
}
