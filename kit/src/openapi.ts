// What every service's OpenAPI document says the same way, so that it tells the truth:
// - every error answer is an RFC 9457 problem (`application/problem+json`, components/schemas/Problem),
//   and each route lists the statuses it can answer (`problems(...)` plus defaults derived from the route);
// - text fields refuse NUL and lone UTF-16 surrogates (PostgreSQL cannot store the first, no encoder can
//   write the second), stated as a `pattern` on every free-text string and checked on every request;
// - a parameter with a default is optional in the document, as it is at run time;
// - a method a path does not have is a 405 with `Allow` (not a 404), before any body is read.
import FindMyWay from 'find-my-way';
import type { FastifyRequest, RouteOptions } from 'fastify';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './errors.ts';
import type { App } from './service.ts';

export const PROBLEM_SCHEMA_ID = 'Problem';

/** The problem document every error answer carries (RFC 9457), with the shop's `errors[]` for validation. */
export const ProblemSchema = {
  $id: PROBLEM_SCHEMA_ID,
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'a URI naming the kind of problem (urn:shop:problem:<slug>) or about:blank' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      description: 'validation problems, one per bad value',
      items: {
        type: 'object',
        required: ['location', 'pointer', 'message'],
        properties: { location: { type: 'string' }, pointer: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
} as const;

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid (the problem names each bad value in errors[])',
  401: 'A token is missing where one is needed, or the token is invalid',
  403: 'The caller may not do this',
  404: 'No such resource',
  405: 'The path does not have this method (Allow lists the ones it has)',
  409: 'Conflicts with the current state',
  411: 'A body was sent without Content-Length',
  412: 'If-Match does not match the current version',
  413: 'The body is larger than the limit',
  415: 'The body has a media type this route does not take',
  416: 'The range cannot be satisfied',
  422: 'The request cannot be processed',
  428: 'If-Match is required',
  429: 'Too many requests (Retry-After says when to try again)',
  502: 'The service behind the proxy failed to answer',
  503: 'A service or one of its dependencies is unavailable',
  504: 'The service behind the proxy did not answer in time',
};

export interface ResponseHeaderSpec {
  description?: string;
  type?: string;
  [keyword: string]: unknown;
}

/** One problem response for a route's `schema.response`. */
export function problem(status: number, description = DESCRIPTIONS[status] ?? 'Error', headers?: Record<string, ResponseHeaderSpec>) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `${PROBLEM_SCHEMA_ID}#` } } },
  };
}

/** `schema.response` entries for the problems a route can answer: `...problems(403, [409, 'already reviewed'])`. */
export function problems(...entries: (number | [number, string])[]): Record<number, ReturnType<typeof problem>> {
  const out: Record<number, ReturnType<typeof problem>> = {};
  for (const entry of entries) {
    const [status, description] = Array.isArray(entry) ? entry : [entry, undefined];
    out[status] = problem(status, description);
  }
  return out;
}

/** A success response schema with the headers it carries (`ETag`, `X-Cache`, ...), for the document. */
export function withHeaders<T extends object>(schema: T, headers: Record<string, ResponseHeaderSpec>): T {
  return { ...schema, headers };
}

/**
 * Text without NUL. Lone UTF-16 surrogates are refused too (by the preValidation hook below), but a
 * pattern cannot say so portably: validators built on UTF-8 regex engines (Rust's, which Schemathesis
 * uses) have no surrogate code points, and their strings cannot hold one. The descriptions say it.
 */
export const SAFE_TEXT_PATTERN = '^[^\\u0000]*$';
// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const UNSAFE_TEXT = /[\u0000\uD800-\uDFFF]/u;
/** What String.prototype.trim removes, spelled out (Python's `\\s`, which the fuzzer uses, differs from JavaScript's). */
const BLANK = ' \\t\\n\\v\\f\\r\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** Safe text (as above) with at least one character that is not blank: for fields the server trims. */
export const NON_BLANK_TEXT_PATTERN = `^[^\\u0000]*[^${BLANK}\\u0000][^\\u0000]*$`;

type JsonSchema = Record<string, unknown>;
const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Makes a request schema say what the server does, in place (idempotent): free-text strings get the
 * safe-text pattern, properties with a default are not required (Ajv fills them in).
 */
export function normalizeRequestSchema(schema: unknown, seen = new WeakSet<object>()): void {
  if (!isObject(schema) || seen.has(schema)) return;
  seen.add(schema);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('string') && schema.pattern === undefined && schema.format === undefined && schema.enum === undefined && schema.const === undefined) {
    schema.pattern = SAFE_TEXT_PATTERN;
  }
  if (types.includes('string') && schema.enum === undefined && schema.const === undefined && typeof schema.description === 'string' && !schema.description.includes('NUL')) {
    schema.description += ' (no NUL, no unpaired surrogates)';
  }
  if (isObject(schema.properties)) {
    const properties = schema.properties;
    if (Array.isArray(schema.required)) {
      schema.required = (schema.required as string[]).filter((name) => !(isObject(properties[name]) && properties[name].default !== undefined));
    }
    for (const child of Object.values(properties)) normalizeRequestSchema(child, seen);
  }
  // Property names are strings whether or not the schema says so.
  if (isObject(schema.propertyNames) && schema.propertyNames.type === undefined) schema.propertyNames.type = 'string';
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'not', 'contains']) normalizeRequestSchema(schema[key], seen);
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    if (Array.isArray(schema[key])) for (const child of schema[key] as unknown[]) normalizeRequestSchema(child, seen);
  }
}

/** The first string (key or value) with NUL or a lone surrogate, as a JSON pointer, or undefined. */
export function findUnsafeText(value: unknown, pointer = '', depth = 0): string | undefined {
  if (typeof value === 'string') return UNSAFE_TEXT.test(value) ? pointer || '/' : undefined;
  if (depth > 64 || typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const at = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (UNSAFE_TEXT.test(key)) return at;
    const found = findUnsafeText(child, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'QUERY']);

function addDefaults(route: RouteOptions): void {
  const schema = route.schema as (JsonSchema & { response?: Record<string, unknown> }) | undefined;
  const methods = [route.method].flat().map((m) => m.toUpperCase());
  if (schema && (schema.body || schema.querystring || schema.params || methods.some((m) => BODY_METHODS.has(m)))) {
    route.preValidation = [refuseUnsafeText as never, ...[route.preValidation ?? []].flat()];
  }
  if (!schema || schema.hide) return;
  for (const part of ['body', 'querystring', 'params', 'headers'] as const) normalizeRequestSchema(schema[part]);
  const hasBody = methods.some((m) => BODY_METHODS.has(m));
  const responses = (schema.response ??= {});
  const add = (status: number) => {
    if (responses[status] === undefined && responses[String(status)] === undefined) responses[status] = problem(status);
  };
  if (hasBody || schema.querystring || schema.params || schema.headers) add(400);
  if (route.url.includes(':')) add(404);
  if (hasBody) {
    add(413);
    add(415);
  }
}

/** The methods each registered path answers, for 405 + Allow. */
class MethodTable {
  readonly #router = FindMyWay();
  readonly #methods = new Set<string>();

  add(route: RouteOptions): void {
    for (const method of [route.method].flat()) {
      const m = method.toUpperCase();
      if (route.url === '*' || route.url.endsWith('*')) continue; // catch-alls (static files) answer everything
      // Fastify answers HEAD for every GET route.
      for (const each of m === 'GET' ? ['GET', 'HEAD'] : [m]) {
        this.#methods.add(each);
        try {
          this.#router.on(each as never, route.url, () => undefined);
        } catch {
          // already there (HEAD registered both ways)
        }
      }
    }
  }

  /**
   * The methods of the resource at `path`. A path that a static route names (/api/sellers/me) is
   * that resource only, even where a parametric route (/api/sellers/:id) would also match it.
   */
  allowed(path: string): string[] {
    const matches = [...this.#methods].map((m) => ({ m, found: this.#router.find(m as never, path) })).filter((x) => x.found !== null);
    const exact = matches.filter((x) => Object.keys(x.found!.params).length === 0);
    return (exact.length > 0 ? exact : matches).map((x) => x.m).sort();
  }
}

/** Installs the conventions on a service (before its routes are registered). */
export function installOpenApiConventions(app: App): void {
  app.addSchema(ProblemSchema);
  const table = new MethodTable();
  app.addHook('onRoute', (route) => {
    table.add(route);
    addDefaults(route);
  });
  // Runs before the body is read, so an unknown method is answered the same whatever it carries.
  // Runs before the body is read, so an unknown method is answered the same whatever it carries. A
  // callback hook (no promise per request): it runs on every request, and only 404s do anything.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.is404) return done();
    const path = request.url.split('?')[0]!;
    const allow = table.allowed(path);
    if (allow.length > 0 && !allow.includes(request.method)) {
      return done(new HttpProblem(405, `${path} does not answer ${request.method}; it answers ${allow.join(', ')}`, {
        type: 'urn:shop:problem:method-not-allowed', headers: { allow: allow.join(', ') },
      }));
    }
    done();
  });
}

/**
 * preValidation of every route that takes input (typed or not: attribute values, JSON keys): NUL and
 * lone surrogates are refused. Routes without input schemas (the proxy's forwarding, probes) skip it.
 */
function refuseUnsafeText(request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void {
  for (const [location, value] of [['body', request.body], ['querystring', request.query], ['params', request.params]] as const) {
    const pointer = findUnsafeText(value);
    if (pointer !== undefined) {
      return done(new HttpProblem(400, `The ${location} is invalid: ${pointer} contains a NUL character or an unpaired UTF-16 surrogate`, {
        type: 'urn:shop:problem:validation',
        extensions: { errors: [{ location, pointer, message: 'must not contain NUL or an unpaired surrogate' }] },
      }));
    }
  }
  done();
}

/** A response without a body (204, 304), with the headers it carries. */
export function noContent(description: string, headers?: Record<string, ResponseHeaderSpec>) {
  return { type: 'null', description, ...(headers ? { headers } : {}) };
}

/**
 * preHandler: trims these body fields after validation. The schema's lengths and patterns apply to the
 * text as sent (what the document can say); what is stored is trimmed.
 */
export function trimBodyFields(...fields: string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const body = request.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return;
    for (const field of fields) if (typeof body[field] === 'string') body[field] = body[field].trim();
  };
}
