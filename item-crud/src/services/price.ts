/** Prices are exact decimals with two fraction digits, stored as DECIMAL(14,2) and shown as strings. */
export const MAX_PRICE = '999999999999.99';
/** The largest price taken as a JSON number (a double holds two decimals exactly enough up to here). */
export const MAX_NUMBER_PRICE = 9_999_999.99;

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
    // A binary float is a decimal only approximately (57 × 0.01 is 0.5700000000000001): a number is
    // taken as the 2-decimal value it stands for when it is within 1e-6 of a cent, as the schema's
    // `multipleOf: 0.01` (Ajv multipleOfPrecision 6) says; 0.291 is still refused.
    if (input > MAX_NUMBER_PRICE) return { ok: false, reason: `as a number must be at most ${MAX_NUMBER_PRICE}; send larger prices as a string like "12345678.90"` };
    const cents = input * 100;
    if (Math.abs(cents - Math.round(cents)) >= 1e-6) return { ok: false, reason: 'must have at most 2 decimals' };
    text = input < 0 ? String(input) : (Math.round(cents) / 100).toFixed(2);
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
