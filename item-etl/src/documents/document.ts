/**
 * An item snapshot (from an event or from PostgreSQL) turned into the search document: text
 * normalized the way the search service normalizes queries, the brand in one canonical spelling,
 * the category path and names, the seller's name and the rating summary.
 */
import { REVIEW_SUMMARY_TOP_MAX, modelCodes, normalizeText, type ItemSnapshot } from '@shop/contracts';

export interface Rating { average: number; count: number }

/**
 * What the item's reviews say, compacted for search (the full aspect list stays on the item):
 * the sentiment counts, the mean score (-1..1), the share of positive reviews and the aspects
 * mostly praised / mostly criticized. Without a summary: count 0, score 0, empty lists, so
 * sorting and filtering treat every document alike.
 */
export interface ReviewDigest {
  count: number;
  positive: number;
  neutral: number;
  negative: number;
  /** Mean review score, -1..1; 0 without reviews. */
  score: number;
  /** positive / count (0..1, 4 decimals); 0 without reviews. */
  positiveShare: number;
  praised: string[];
  criticized: string[];
}

export interface ItemDocument {
  id: string;
  /** The item's numeric article number; null for a document built from an event published before articles existed. */
  article: number | null;
  sellerId: string;
  sellerName: string | null;
  name: string;
  /** Model codes of the name and text attributes without separators ("WH-1000XM5" → "wh1000xm5", "RTX 4060" → "rtx4060"): `modelCodes` of contracts. */
  models: string[];
  description: string;
  brand: string;
  category: string;
  /** The category and its ancestors, the category first. */
  categoryPath: string[];
  /** Russian and English names of the category and its ancestors. */
  categoryNames: string[];
  price: number;
  currency: string;
  stock: number;
  inStock: boolean;
  attributes: Record<string, string | number>;
  attributesText: string;
  /** Object key of the main image (lowest position), or null. */
  image: string | null;
  rating: Rating;
  reviewSummary: ReviewDigest;
  status: 'active' | 'hidden';
  version: number;
  createdAt: string;
  updatedAt: string;
  indexedAt: string;
  suggest: { input: string[]; weight: number };
}

/** What a document is built from: a snapshot whose images need only their key and position. */
export type ItemInput = Omit<ItemSnapshot, 'images'> & { images: { key: string; position: number }[] };

/**
 * From other tables (or columns the event does not carry): the seller's name, the rating and the review summary
 * (`items.review_summary`, the `ReviewSummary` of contracts as item-crud stored it; null or absent before the first).
 */
export interface Enrichment { sellerName: string | null; rating: Rating; reviewSummary?: unknown }
export interface CategoryInfo { path: string[]; names: string[] }

/** A snapshot that cannot become a document; the event goes to the dead-letter topic with `reason`. */
export class DocumentError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'DocumentError';
    this.reason = reason;
  }
}

export { normalizeText };

const LETTER = /\p{L}/u;

function canonicalPart(part: string): string {
  const letters = [...part].filter((c) => LETTER.test(c)).length;
  if (letters === 0) return part;
  const upper = part.toUpperCase();
  const lower = part.toLowerCase();
  // Two letters or fewer are initials in any spelling: HP, LG, 3M.
  if (letters <= 2) return upper;
  // Three capitals as written are an acronym: JBL, AEG, BMW (but "NIKE" is just shouting).
  if (letters === 3 && part === upper) return upper;
  const first = [...part].findIndex((c) => LETTER.test(c));
  const title = [...lower].map((c, i) => (i === first ? c.toUpperCase() : c)).join('');
  // Deliberate inner capitals are the brand's own spelling: iRobot, DeWalt, McLaren.
  if (part !== upper && part !== lower && part !== title) return part;
  return title;
}

/**
 * One spelling per brand, so the brand facet does not split "NIKE", "nike " and "Nike":
 * whitespace normalized, then each word (and each part of a hyphenated word) is
 * - upper case when it has at most two letters (HP, LG, 3M) or is three capitals as written (JBL);
 * - kept as written when it mixes cases on purpose (iRobot, DeWalt);
 * - otherwise title case (NIKE, nike → Nike; ADIDAS → Adidas; самсунг → Самсунг).
 * Two sellers writing "DEWALT" and "DeWalt" still differ; the `brand.lower` subfield matches both.
 */
export function canonicalBrand(raw: string): string {
  return normalizeText(raw)
    .split(' ')
    .map((word) => word.split('-').map(canonicalPart).join('-'))
    .join(' ');
}

/** Rating average from the stored sum and count, rounded to one decimal; {0, 0} without ratings. */
export function ratingSummary(sum: number, count: number): Rating {
  if (count <= 0) return { average: 0, count: 0 };
  return { average: Math.round((sum / count) * 10) / 10, count };
}

const noReviews = (): ReviewDigest => ({ count: 0, positive: 0, neutral: 0, negative: 0, score: 0, positiveShare: 0, praised: [], criticized: [] });
/** The contract's aspect name (`AspectName` of contracts): lower-case letters, digits, `_`, `-`. */
const ASPECT = /^[a-z][a-z0-9_-]{0,39}$/;

const count = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
const aspects = (v: unknown): string[] => (Array.isArray(v)
  ? [...new Set(v.filter((a): a is string => typeof a === 'string' && ASPECT.test(a)))].slice(0, REVIEW_SUMMARY_TOP_MAX)
  : []);

/**
 * The compact review summary of the document, from the stored `ReviewSummary` (a JSONB value written by
 * item-crud). Read tolerantly — a value of an unexpected shape never keeps an item out of the index: what
 * is not a count is 0, the score is clamped to -1..1, lists keep their aspect names. No summary, or one
 * without reviews: count 0, score 0, empty lists.
 */
export function reviewDigest(summary: unknown): ReviewDigest {
  if (!summary || typeof summary !== 'object' || Array.isArray(summary)) return noReviews();
  const s = summary as Record<string, unknown>;
  const sentiment = (s.sentiment && typeof s.sentiment === 'object' ? s.sentiment : {}) as Record<string, unknown>;
  const positive = count(sentiment.positive);
  const neutral = count(sentiment.neutral);
  const negative = count(sentiment.negative);
  const total = count(s.count) || positive + neutral + negative;
  if (total === 0) return noReviews();
  const score = typeof s.score === 'number' && Number.isFinite(s.score) ? Math.min(1, Math.max(-1, s.score)) : 0;
  return {
    count: total, positive, neutral, negative,
    score: Math.round(score * 10_000) / 10_000,
    positiveShare: Math.round(Math.min(1, positive / total) * 10_000) / 10_000,
    praised: aspects(s.praised),
    criticized: aspects(s.criticized),
  };
}

/** Price as a number; anything not a finite amount above zero is refused. */
export function parsePrice(price: string | number): number {
  const value = typeof price === 'number' ? price : Number(price);
  if (!Number.isFinite(value) || value <= 0) throw new DocumentError('invalid-price', `price must be a positive amount, got ${JSON.stringify(price)}`);
  return Math.round(value * 100) / 100;
}

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (!v || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function buildDocument(item: ItemInput, enrichment: Enrichment, category: CategoryInfo, indexedAt = new Date()): ItemDocument {
  if (item.status === 'deleted') throw new DocumentError('deleted', 'a deleted item has no document');
  const price = parsePrice(item.price);
  const name = normalizeText(item.name);
  if (!name) throw new DocumentError('invalid-name', 'the name is empty after normalization');
  const brand = canonicalBrand(item.brand);
  const attributes: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(item.attributes)) {
    const k = normalizeText(key);
    if (k) attributes[k] = typeof value === 'string' ? normalizeText(value) : value;
  }
  const categoryNames = unique(category.names.map(normalizeText));
  const images = [...item.images].sort((a, b) => a.position - b.position);
  return {
    id: item.id,
    article: item.article ?? null,
    sellerId: item.sellerId,
    sellerName: enrichment.sellerName === null ? null : normalizeText(enrichment.sellerName) || null,
    name,
    // The name's codes first (they are kept under the cap), then those of text attributes ({model: "WH-1000XM5"}).
    models: unique([name, ...Object.values(attributes).filter((v) => typeof v === 'string')].flatMap((text) => modelCodes(text))).slice(0, 64),
    description: normalizeText(item.description),
    brand,
    category: item.category,
    categoryPath: category.path.length ? category.path : [item.category],
    categoryNames,
    price,
    currency: item.currency,
    stock: item.stock,
    inStock: item.stock > 0,
    attributes,
    attributesText: Object.entries(attributes).map(([k, v]) => `${k} ${v}`).join('. '),
    image: images[0]?.key ?? null,
    rating: enrichment.rating,
    reviewSummary: reviewDigest(enrichment.reviewSummary),
    status: item.status,
    version: item.version,
    createdAt: new Date(item.createdAt).toISOString(),
    updatedAt: new Date(item.updatedAt).toISOString(),
    indexedAt: indexedAt.toISOString(),
    suggest: {
      // The item's own category only: its ancestors ("Электроника") would suggest every item.
      input: unique([name, brand, ...category.names.slice(0, 2).map(normalizeText)]).map((s) => s.slice(0, 100)),
      weight: 1 + Math.min(enrichment.rating.count, 100_000),
    },
  };
}
