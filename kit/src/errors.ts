import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemFieldError {
  /** Where the bad value was: body, querystring, params, headers. */
  location: string;
  /** JSON pointer to the offending value inside that location ('' for the whole). */
  pointer: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 428: 'Precondition Required', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export const problemType = (slug: string) => `urn:shop:problem:${slug}`;

/** An error a route throws on purpose: rendered as problem+json with its status. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    detail: string,
    options: { type?: string; title?: string; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.type = options.type ?? 'about:blank';
    this.title = options.title ?? TITLES[status] ?? 'Error';
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (detail: string, errors?: ProblemFieldError[]) =>
  new HttpProblem(400, detail, { type: problemType('validation'), extensions: errors ? { errors } : {} });
export const unauthorized = (detail = 'Authentication is required') =>
  new HttpProblem(401, detail, { headers: { 'www-authenticate': 'Bearer' } });
export const forbidden = (detail = 'You may not do this') => new HttpProblem(403, detail);
export const notFound = (detail: string) => new HttpProblem(404, detail, { type: problemType('not-found') });
export const conflict = (detail: string) => new HttpProblem(409, detail, { type: problemType('conflict') });
export const preconditionFailed = (detail: string) => new HttpProblem(412, detail, { type: problemType('stale-version') });
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new HttpProblem(429, detail, { type: problemType('rate-limited'), headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) } });

/** The part of a reply needed to answer with a problem (any server flavour). */
interface ProblemReply {
  header(key: string, value: string): unknown;
  code(status: number): { type(contentType: string): { send(payload: string): unknown } };
}

export function sendProblem<R extends ProblemReply>(reply: R, problem: Problem, headers: Record<string, string> = {}): R {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  return reply;
}

function validationErrors(error: FastifyError): ProblemFieldError[] {
  const location = error.validationContext ?? 'request';
  return (error.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
    const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
    const pointer = `${v.instancePath}${missing || extra}`;
    const message = extra ? `unknown property '${String(params.additionalProperty)}' is not allowed` : (v.message ?? 'is invalid');
    return { location, pointer, message };
  });
}

/** Installs problem+json rendering for thrown errors, validation failures and unknown routes. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpProblem, request: FastifyRequest, reply: FastifyReply) => {
    const instance = request.url;
    if (error instanceof HttpProblem) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return sendProblem(reply, { type: error.type, title: error.title, status: error.status, detail: error.message, instance, ...error.extensions }, error.headers);
    }
    if (error.validation) {
      const errors = validationErrors(error);
      return sendProblem(reply, {
        type: problemType('validation'), title: 'Bad Request', status: 400,
        detail: `The ${error.validationContext ?? 'request'} is invalid: ${errors.map((e) => `${e.pointer || '(root)'} ${e.message}`).join('; ')}`,
        instance, errors,
      });
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unexpected error');
      return sendProblem(reply, {
        type: 'about:blank', title: TITLES[status] ?? 'Error', status,
        detail: 'An unexpected error occurred; the request id identifies it in the logs', instance, requestId: request.id,
      });
    }
    // Fastify's own 4xx errors (bad JSON, body too large, unsupported media type) carry safe messages.
    return sendProblem(reply, { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail: error.message, instance });
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { type: problemType('not-found'), title: 'Not Found', status: 404, detail: `No route for ${request.method} ${request.url.split('?')[0]}`, instance: request.url }),
  );
}
