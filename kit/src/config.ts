import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Variables every service reads. Services spread these into their own schema. */
export const baseConfig = {
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** When set, traces are exported over OTLP/HTTP to this endpoint (e.g. http://jaeger:4318). */
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Share of traces exported (by trace id, so a trace is kept or dropped whole); spans with an error are always kept. */
  TRACE_SAMPLE_RATIO: Type.Number({ default: 1, minimum: 0, maximum: 1 }),
  /** How long a graceful shutdown may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /**
   * Addresses of proxies whose X-Forwarded-For is believed (Fastify `trustProxy`: comma-separated
   * addresses/CIDRs, or "loopback"). Empty: the socket address is the client.
   */
  TRUST_PROXY: Type.String({ default: '' }),
  /** Maximum accepted request body, in bytes. */
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
} satisfies TProperties;

/** A service's port: required in the schema, with the design's default. */
export const portConfig = (defaultPort: number) =>
  Type.Integer({ minimum: 1, maximum: 65_535, default: defaultPort });

/** A URL variable with no default: the environment (make.sh, compose) must set it. */
export const urlConfig = (schemes: string[] = ['http', 'https']) =>
  Type.String({ pattern: `^(${schemes.join('|')})://` });

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super(`Invalid configuration for ${service}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Names of the variables that have no default and are not optional. */
export function requiredVariables(schema: TObject): string[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties)
    .filter(([name, prop]) => required.has(name) && (prop as { default?: unknown }).default === undefined)
    .map(([name]) => name);
}

/**
 * Reads, converts and validates the variables named by `schema` from `env`.
 * Fails fast with every bad or missing variable named in one message.
 */
export function loadConfig<T extends TObject>(service: string, schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  const problems = [...Value.Errors(schema, converted)].map((e) => {
    const name = e.path.replace(/^\//, '') || 'configuration';
    if (e.value === undefined) return `${name} is required but not set`;
    return `${name}: ${e.message} (got ${JSON.stringify(raw[name] ?? e.value)})`;
  });
  if (problems.length > 0) throw new ConfigError(service, [...new Set(problems)]);
  return converted as Static<T>;
}
