import { Type, type TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';

/** Field schemas every event contract uses (internal to the contracts: not re-exported by the index). */
export const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
export const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' });

/** What a validator answers: the typed value, or every reason it was refused. */
export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Decodes and validates the bytes of a Kafka message value. */
export function decodeJson<T>(bytes: Buffer | null, validate: (value: unknown) => Validation<T>): Validation<T> {
  if (!bytes || bytes.length === 0) return { ok: false, errors: ['empty message value'] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${(err as Error).message}`] };
  }
  return validate(parsed);
}

/** Encodes a value after validating it: producers never publish what consumers would reject. */
export function encodeJson<T>(value: T, validate: (value: unknown) => Validation<T>, what: string): Buffer {
  const result = validate(value);
  if (!result.ok) throw new Error(`invalid ${what}: ${result.errors.join('; ')}`);
  return Buffer.from(JSON.stringify(value));
}

/** The first ten reasons a compiled schema refuses `value`, as `path: message`. */
export function schemaErrors<T extends TSchema>(compiled: TypeCheck<T>, value: unknown): string[] {
  return [...compiled.Errors(value)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`);
}
