import { Type } from '@shop/kit';
import { FLAGS, LANGUAGES } from '../analyzer/text.ts';
import { SENTIMENTS } from '../analyzer/analyzer.ts';

const strict = { additionalProperties: false } as const;
const Uuid = Type.String({ format: 'uuid' });
const enumOf = <T extends string>(values: readonly T[], description: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], description });

export const ItemParams = Type.Object({ itemId: Uuid }, strict);
export const CommentParams = Type.Object({ commentId: Uuid }, strict);

export const AspectCount = Type.Object({
  aspect: Type.String({ description: 'quality, size, delivery, price, battery, sound, comfort, packaging, screen, appearance' }),
  mentions: Type.Integer({ minimum: 0, description: 'live reviews that name the aspect' }),
  positive: Type.Integer({ minimum: 0, description: '… and praise it' }),
  negative: Type.Integer({ minimum: 0, description: '… and criticize it' }),
});

export const ItemSummary = Type.Object({
  itemId: Uuid,
  count: Type.Integer({ minimum: 0, description: 'live reviews analyzed (0 for an item without reviews or unknown here)' }),
  sentiment: Type.Object({ positive: Type.Integer({ minimum: 0 }), neutral: Type.Integer({ minimum: 0 }), negative: Type.Integer({ minimum: 0 }) }),
  score: Type.Number({ minimum: -1, maximum: 1, description: 'mean review score, −1 (negative) … +1 (positive)' }),
  aspects: Type.Array(AspectCount, { description: 'most mentioned first' }),
  praised: Type.Array(Type.String(), { maxItems: 3, description: 'up to 3 aspects praised more often than criticized, most praised first' }),
  criticized: Type.Array(Type.String(), { maxItems: 3, description: 'up to 3 aspects criticized at least as often as praised, most criticized first' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when a review of the item last changed; null without any' }),
});

export const AspectOpinion = Type.Object({
  aspect: Type.String(),
  score: Type.Number({ description: 'the opinions of the clauses naming it: > 0 praise, < 0 criticism' }),
  polarity: enumOf(SENTIMENTS, 'neutral: named without an opinion'),
});

export const CommentAnalysis = Type.Object({
  commentId: Uuid,
  itemId: Uuid,
  rating: Type.Integer({ minimum: 1, maximum: 5 }),
  language: enumOf(LANGUAGES, 'by the letters: ru, en, mixed (both scripts), unknown (no letters)'),
  sentiment: enumOf(SENTIMENTS, 'the text, with the star rating as a weak signal'),
  score: Type.Number({ minimum: -1, maximum: 1 }),
  aspects: Type.Array(AspectOpinion),
  flags: Type.Array(enumOf(FLAGS, 'for moderators; flagged reviews stay published')),
  analyzerVersion: Type.String({ description: 'rules version + hash of the vocabulary files' }),
  analyzedAt: Type.String({ format: 'date-time' }),
});
