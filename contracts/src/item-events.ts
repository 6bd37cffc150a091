import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { decodeJson, encodeJson, schemaErrors, Timestamp, Uuid, type Validation } from './codec.ts';

export const ITEM_EVENTS_TOPIC = 'item-events';
export const ITEM_EVENTS_DLQ_TOPIC = 'item-events.dlq';
export const ITEM_EVENT_TYPES = ['item.created', 'item.updated', 'item.deleted'] as const;


/** A price as a decimal string with exactly two fraction digits, greater than zero. */
export const Price = Type.String({ pattern: '^(0\\.(0[1-9]|[1-9]\\d)|[1-9]\\d{0,11}\\.\\d{2})$' });
export const Slug = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 100 });

export const ItemImage = Type.Object(
  {
    id: Uuid,
    /** Object key in the images bucket; never a caller-supplied URL. */
    key: Type.String({ minLength: 1, maxLength: 512 }),
    contentType: Type.Union([Type.Literal('image/jpeg'), Type.Literal('image/png'), Type.Literal('image/webp')]),
    position: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const ItemStatus = Type.Union([Type.Literal('active'), Type.Literal('hidden'), Type.Literal('deleted')]);

/**
 * The full state of an item at one version: what every item event carries.
 *
 * Compatibility rule of this contract: a field added later is optional here, in the schema consumers
 * validate with, because events published before it existed stay in Kafka (and in dead-letter topics, and
 * are replayed by rebuilds); the producer rule (`encodeItemEvent`) requires it from then on. So:
 * - `article` (added 2026-12-02): item-crud always sends it; older events lack it and are still valid.
 */
export const ItemSnapshot = Type.Object(
  {
    id: Uuid,
    /** The item's numeric article number (`nm_id`/`chrt_id` in orders): positive, unique, never changes. Optional for consumers, see above. */
    article: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    sellerId: Uuid,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 10_000 }),
    brand: Type.String({ minLength: 1, maxLength: 100 }),
    category: Slug,
    price: Price,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    stock: Type.Integer({ minimum: 0 }),
    attributes: Type.Record(Type.String({ maxLength: 100 }), Type.Union([Type.String({ maxLength: 500 }), Type.Number()])),
    images: Type.Array(ItemImage, { maxItems: 20 }),
    status: ItemStatus,
    version: Type.Integer({ minimum: 1 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

export const ItemEvent = Type.Object(
  {
    id: Uuid,
    type: Type.Union(ITEM_EVENT_TYPES.map((t) => Type.Literal(t))),
    /** The item's own version after this change; consumers index with version_type external. */
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Timestamp,
    source: Type.String({ minLength: 1, maxLength: 100 }),
    data: ItemSnapshot,
  },
  { additionalProperties: false },
);

export type ItemImage = Static<typeof ItemImage>;
export type ItemSnapshot = Static<typeof ItemSnapshot>;
export type ItemEvent = Static<typeof ItemEvent>;
export type ItemEventType = (typeof ITEM_EVENT_TYPES)[number];

const compiled = TypeCompiler.Compile(ItemEvent);

export type { Validation };

/** Checks a decoded value against the envelope schema, including cross-field rules. */
export function validateItemEvent(value: unknown): Validation<ItemEvent> {
  if (!compiled.Check(value)) {
    return { ok: false, errors: schemaErrors(compiled, value) };
  }
  const errors: string[] = [];
  if (value.version !== value.data.version) errors.push(`/version: ${value.version} differs from /data/version ${value.data.version}`);
  if ((value.type === 'item.deleted') !== (value.data.status === 'deleted')) {
    errors.push(`/data/status: '${value.data.status}' does not fit event type ${value.type}`);
  }
  return errors.length ? { ok: false, errors } : { ok: true, value };
}

/** Decodes and validates the bytes of a Kafka message value. */
export const decodeItemEvent = (bytes: Buffer | null): Validation<ItemEvent> => decodeJson(bytes, validateItemEvent);

/** Encodes an event after validating it against what consumers accept (tests replaying events of any age use it). */
export const encodeItemEvent = (event: ItemEvent): Buffer => encodeJson(event, validateItemEvent, 'item event');

/**
 * What a producer must send today: everything consumers accept, plus the fields added later that
 * consumers only treat as optional (see ItemSnapshot): `article`.
 */
export function validateProducedItemEvent(value: unknown): Validation<ItemEvent> {
  const result = validateItemEvent(value);
  if (result.ok && result.value.data.article === undefined) return { ok: false, errors: ['/data/article: a producer must send the article number'] };
  return result;
}

/** The producer's encoder (item-crud): producers never publish what consumers would reject, nor omit what is now required of them. */
export const encodeProducedItemEvent = (event: ItemEvent): Buffer => encodeJson(event, validateProducedItemEvent, 'item event');
