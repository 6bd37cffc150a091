/**
 * Conditional and range requests (RFC 9110 §13 and §14), as pure functions over header values so
 * that they are unit-tested without a server.
 */

/** `If-None-Match` against the current entity tag: `*`, a list, weak comparison (§13.1.2). */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = header.trim();
  if (value === '*') return true;
  const current = opaqueTag(etag);
  return splitTags(value).some((tag) => opaqueTag(tag) === current);
}

/**
 * `If-Modified-Since`: true when the entity was not modified after the date (compared in whole
 * seconds, the resolution of HTTP dates). Ignored when unparsable, and by the caller whenever
 * `If-None-Match` is present (§13.1.3).
 */
export function notModifiedSince(header: string | undefined, lastModified: Date): boolean {
  if (header === undefined) return false;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/**
 * `If-Range` (§13.1.5): the range applies only when the validator still matches. An entity tag
 * must match strongly (a weak tag never does); a date must equal Last-Modified exactly.
 */
export function ifRangeAllows(header: string | undefined, etag: string, lastModified: Date): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return !value.startsWith('W/') && value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(lastModified.getTime() / 1000);
}

export type RangeResult =
  /** No usable Range header: send the whole representation (200). */
  | { kind: 'none' }
  /** One satisfiable range: 206 with `Content-Range: bytes start-end/size` (end inclusive). */
  | { kind: 'partial'; start: number; end: number }
  /** A valid range that selects nothing: 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * One `Range: bytes=...` header against a representation of `size` bytes (§14.1.2, §14.2).
 * Forms: `a-b`, `a-` and `-n` (the last n bytes). Several ranges (`bytes=0-1,5-6`) are ignored on
 * purpose and answered with the whole image (200): a multipart/byteranges body for an image costs
 * more than it saves, and RFC 9110 lets a server ignore Range. Syntactically invalid headers and
 * other units are ignored the same way.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!match) return { kind: 'none' };
  const specs = match[1]!.split(',').map((s) => s.trim()).filter(Boolean);
  if (specs.length !== 1) return { kind: 'none' };
  const spec = SPEC.exec(specs[0]!);
  if (!spec) return { kind: 'none' };
  const [, first, last] = spec as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'none' };
  if (first === '') {
    // Suffix range: the last n bytes (all of them when n >= size); n = 0 selects nothing.
    const n = safeInt(last);
    if (n === undefined) return { kind: 'none' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = safeInt(first);
  const end = last === '' ? undefined : safeInt(last);
  if (start === undefined || (last !== '' && end === undefined)) return { kind: 'none' };
  if (end !== undefined && end < start) return { kind: 'none' }; // invalid: ignored (§14.1.1)
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end ?? size - 1, size - 1) };
}

function safeInt(digits: string): number | undefined {
  if (digits.length > 15) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `"abc"`, `W/"abc"` → `abc` (weak comparison ignores the W/ prefix). */
function opaqueTag(tag: string): string {
  const t = tag.trim();
  return t.startsWith('W/') ? t.slice(2) : t;
}

/** Entity tags of a list header; commas inside quotes are part of a tag. */
function splitTags(value: string): string[] {
  const tags: string[] = [];
  const re = /\s*((?:W\/)?"[^"]*"|[^,\s]+)\s*(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    if (m[0] === '') break;
    tags.push(m[1]!);
  }
  return tags;
}
