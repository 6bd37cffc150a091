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
