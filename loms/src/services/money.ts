/** "1999.90" → 199990 (minor units); the catalog's prices have at most two fraction digits. */
export function toMinor(price: string): number {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(price);
  if (!m) throw new Error(`not a price: ${price}`);
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** 199990 → "1999.90". */
export const fromMinor = (minor: number): string => `${Math.trunc(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
