import { NON_BLANK_TEXT_PATTERN, Type, type TSchema } from '@shop/kit';
import { AspectName, Price, REVIEW_SUMMARY_TOP_MAX, Slug } from '@shop/contracts';
import { COMMENT_PAGE_SIZE_DEFAULT, COMMENT_PAGE_SIZE_MAX, COMMENT_TEXT_MAX, COMMENT_TEXT_MIN } from '../services/comments.ts';
import { MAX_NUMBER_PRICE } from '../services/price.ts';

const strict = { additionalProperties: false } as const;

/** One keyword with an `enum` (not anyOf of literals) so a bad value gets one clear validation error. */
const Enum = <T extends string>(values: readonly T[], options: Record<string, unknown> = {}) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid }, strict);

/** Fields an item body may not carry: the server sets them. A friendlier 400 than "unknown property". */
export const READ_ONLY_ITEM_FIELDS = ['id', 'article', 'sellerId', 'version', 'createdAt', 'updatedAt', 'status', 'images', 'rating', 'ratingSum', 'ratingCount', 'reviewSummary', 'reserved', 'available'];

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NON_BLANK_TEXT_PATTERN, description: 'trimmed' });
const Description = Type.String({ maxLength: 10_000 });
const Brand = Type.String({ minLength: 1, maxLength: 100, pattern: NON_BLANK_TEXT_PATTERN, description: 'trimmed' });
const CategorySlug = Type.String({ ...Slug, description: 'a leaf category slug (GET /api/categories)' });
/**
 * A string or a number. With several types Ajv coerces only a value that matches none of them, so a
 * number stays a number. The service normalizes both to "1999.90" (`services/price.ts`).
 */
const PriceInput = Type.Unsafe<string | number>({
  type: ['string', 'number'],
  pattern: '^([1-9]\\d{0,11}(\\.\\d{1,2})?|0\\.(0[1-9]|[1-9]\\d?))$',
  exclusiveMinimum: 0,
  // A JSON number is a binary double: up to here it holds two decimals well within multipleOf's
  // 1e-6 tolerance (Ajv multipleOfPrecision 6); larger prices go as strings.
  maximum: MAX_NUMBER_PRICE,
  multipleOf: 0.01,
  description: `"1999.90", "1999.9", "1999" (a string up to 999999999999.99) or 1999.9 (a number up to ${MAX_NUMBER_PRICE}): greater than 0, at most 2 decimals; stored and shown as "1999.90"`,
});
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
const Stock = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });
/** Values: strings ≤ 500 characters or numbers (a number stays a number, as explained at PriceInput). */
const Attributes = Type.Unsafe<Record<string, string | number>>({
  type: 'object',
  maxProperties: 50,
  propertyNames: { minLength: 1, maxLength: 100 },
  additionalProperties: { type: ['string', 'number'], maxLength: 500, minimum: -1e15, maximum: 1e15 },
  description: 'up to 50 keys (1..100 characters); values are strings (≤ 500 characters) or numbers (|n| ≤ 10^15, kept exactly through PostgreSQL jsonb)',
});

export const CreateItemBody = Type.Object({
  name: Name,
  description: Type.Optional(Description),
  brand: Brand,
  category: CategorySlug,
  price: PriceInput,
  currency: Type.Optional(Type.String({ ...Currency, default: 'RUB' })),
  stock: Stock,
  attributes: Type.Optional(Attributes),
}, strict);

export const PatchItemBody = Type.Object({
  name: Type.Optional(Name),
  description: Type.Optional(Description),
  brand: Type.Optional(Brand),
  category: Type.Optional(CategorySlug),
  price: Type.Optional(PriceInput),
  currency: Type.Optional(Currency),
  stock: Type.Optional(Stock),
  attributes: Type.Optional(Attributes),
}, { ...strict, minProperties: 1 });

const IfMatch = Type.String({ pattern: '^(W/"[1-9]\\d{0,8}"|"[1-9]\\d{0,8}"|[1-9]\\d{0,8})$', description: 'the item version being changed: 3, "3" or W/"3" (its ETag)' });
export const IfMatchHeaders = Type.Object({ 'if-match': Type.Optional(IfMatch) });
/** PATCH needs it: a missing If-Match is answered 428 before validation (`requireIfMatch`). */
export const RequiredIfMatchHeaders = Type.Object({ 'if-match': IfMatch });

/**
 * The leaf categories an item may go into, as an enum in the document. They change only with a
 * migration, so item-crud reads them once at start (`setCategoryChoices`) before its routes exist.
 */
export function setCategoryChoices(leafSlugs: string[]): void {
  if (leafSlugs.length === 0) return;
  // Type.Optional copies its schema, so each body's own property gets the list.
  for (const body of [CreateItemBody, PatchItemBody]) (body.properties.category as { enum?: string[] }).enum = [...leafSlugs].sort();
}

export const ListItemsQuery = Type.Object({
  sellerId: Type.Optional(Uuid),
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export const ImageView = Type.Object({
  id: Uuid,
  url: Type.String({ description: 'the original, served by the facade: /api/images/<itemId>/<imageId>' }),
  thumbUrl: Type.String({ description: 'the WebP thumbnail (fits 320×320): /api/images/<itemId>/<imageId>?size=thumb' }),
  width: Type.Integer({ description: 'pixels, as displayed (EXIF orientation applied)' }),
  height: Type.Integer(),
  contentType: Enum(['image/jpeg', 'image/png', 'image/webp'] as const, { description: 'of the original, detected from its bytes' }),
  size: Type.Integer({ description: 'bytes of the original' }),
  position: Type.Integer({ description: 'order on the product page; the lowest is the main image' }),
});

export const RatingView = Type.Object({
  average: Type.Number({ description: 'rating_sum / rating_count rounded to one decimal; 0 without reviews' }),
  count: Type.Integer(),
});

const AspectNames = (description: string) => Type.Array(AspectName, { maxItems: REVIEW_SUMMARY_TOP_MAX, description });
const ReviewCount = Type.Integer({ minimum: 0 });

export const ReviewSummaryView = Type.Object({
  count: Type.Integer({ minimum: 0, description: 'reviews analyzed: positive + neutral + negative' }),
  sentiment: Type.Object({ positive: ReviewCount, neutral: ReviewCount, negative: ReviewCount }, strict),
  score: Type.Number({ minimum: -1, maximum: 1, description: 'the mean sentiment score of the reviews, −1..1; 0 without reviews' }),
  praised: AspectNames('aspects mostly praised (quality, size, delivery, …), strongest first'),
  criticized: AspectNames('aspects mostly criticized, strongest first'),
}, { ...strict, description: 'what the reviews say, from comment-analysis (the review-summaries topic); null until its first summary of the item' });

export const Article = Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'the numeric article number (nm_id/chrt_id of orders): unique, assigned at creation, never changes' });

export const ItemView = Type.Object({
  id: Uuid,
  article: Article,
  sellerId: Uuid,
  name: Type.String(),
  description: Type.String(),
  brand: Type.String(),
  category: Type.String(),
  price: Type.String({ ...Price, description: 'decimal string with two fraction digits' }),
  currency: Type.String(),
  stock: Type.Integer({ minimum: 0, description: 'units in stock, including those reserved for orders not yet paid' }),
  reserved: Type.Integer({ minimum: 0, description: 'units held by reservations of orders being placed (at most stock)' }),
  available: Type.Integer({ minimum: 0, description: 'what can still be bought: stock − reserved' }),
  attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
  images: Type.Array(ImageView, { description: 'in position order' }),
  rating: RatingView,
  reviewSummary: Type.Union([ReviewSummaryView, Type.Null()]),
  status: Enum(['active', 'hidden', 'deleted'] as const),
  version: Type.Integer({ minimum: 1 }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const ItemPageView = Type.Object({
  items: Type.Array(ItemView),
  page: Type.Integer(),
  size: Type.Integer(),
  total: Type.Integer(),
});

export const CategoriesQuery = Type.Object({
  lang: Enum(['ru', 'en'] as const, { default: 'ru', description: 'language of `name` (both are always given as nameRu/nameEn)' }),
});

/**
 * A category and its subtree, spelled out to a fixed depth instead of a shared recursive schema: the
 * proxy merges every service's OpenAPI components, where generated names like `def-0` would collide.
 * The tree is two levels deep today; anything deeper is still serialized (as plain JSON).
 */
const categoryNode = (depth: number): TSchema => Type.Object({
  slug: Type.String(),
  name: Type.String({ description: 'in the requested language (lang)' }),
  nameRu: Type.String(),
  nameEn: Type.String(),
  parent: Type.Union([Type.String(), Type.Null()]),
  children: Type.Array(depth > 1 ? categoryNode(depth - 1) : Type.Unknown()),
});
export const CategoryTree = Type.Array(categoryNode(4));

export const UpdateSellerBody = Type.Object({
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: NON_BLANK_TEXT_PATTERN, description: 'trimmed' })),
  description: Type.Optional(Type.String({ maxLength: 2_000 })),
}, { ...strict, minProperties: 1 });

export const SellerView = Type.Object({
  id: Uuid,
  displayName: Type.String(),
  description: Type.String(),
  itemCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});


export const ImageParams = Type.Object({ id: Uuid, imageId: Uuid }, strict);

export const UploadedImageView = ImageView;

/**
 * For the OpenAPI document only: the multipart parser leaves the body undefined and the route reads the
 * file part itself. No `type`, so validation (which sees undefined) has nothing to check.
 */
export const UploadBody = Type.Unsafe<unknown>({
  properties: { file: { type: 'string', format: 'binary', description: 'the image (any field name is accepted)' } },
});

export const CommentBody = Type.Object({
  rating: Type.Integer({ minimum: 1, maximum: 5, description: 'whole stars, 1..5' }),
  text: Type.String({ minLength: COMMENT_TEXT_MIN, maxLength: COMMENT_TEXT_MAX, pattern: NON_BLANK_TEXT_PATTERN, description: `trimmed, ${COMMENT_TEXT_MIN}..${COMMENT_TEXT_MAX} characters` }),
}, strict);

export const PatchCommentBody = Type.Object({
  rating: Type.Optional(CommentBody.properties.rating),
  text: Type.Optional(CommentBody.properties.text),
}, { ...strict, minProperties: 1 });

export const CommentsQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: COMMENT_PAGE_SIZE_MAX, default: COMMENT_PAGE_SIZE_DEFAULT }),
});

export const CommentView = Type.Object({
  id: Uuid,
  itemId: Uuid,
  authorId: Uuid,
  authorName: Type.String(),
  rating: Type.Integer(),
  text: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const CommentPageView = Type.Object({
  total: Type.Integer(),
  page: Type.Integer(),
  size: Type.Integer(),
  items: Type.Array(CommentView),
  rating: RatingView,
});
