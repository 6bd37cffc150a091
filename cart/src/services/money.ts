/**
 * Amounts as item-crud shows them: decimal strings with two fraction digits ("1999.90"). Sums are
 * exact (integer minor units in a BigInt), never floating point.
 */
const DECIMAL = /^(\d{1,15})(?:\.(\d{1,2}))?$/;

/** "1999.9" → 199990n; undefined for anything that is not a plain non-negative decimal with ≤ 2 decimals. */
export function toMinor(price: string): bigint | undefined {
  const match = DECIMAL.exec(price);
  if (!match) return undefined;
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

/** 199990n → "1999.90". */
export function fromMinor(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Σ price × quantity of the lines, as a decimal string. */
export function lineTotal(lines: { price: string; quantity: number }[]): string {
  let sum = 0n;
  for (const line of lines) {
    const minor = toMinor(line.price);
    if (minor === undefined) throw new Error(`not a price: ${JSON.stringify(line.price)}`);
    sum += minor * BigInt(line.quantity);
  }
  return fromMinor(sum);
}

/** Same amount whatever the spelling ("10.5" and "10.50"). */
export const samePrice = (a: string, b: string) => toMinor(a) !== undefined && toMinor(a) === toMinor(b);
