/**
 * A service the product page asks beside its cached answer (comment-analysis, recommendations): one GET with the
 * caller's request id and a short time limit. Anything but a 2xx JSON answer — the service unset, down, slow or
 * answering something else — is `undefined`, logged at debug level: the page goes out without that part.
 */
import type { Log } from '../log.ts';

export class PageSource {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #log: Log;

  constructor(baseUrl: string, timeoutMs: number, log: Log) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** The parsed JSON body of `GET {base}{path}` when the answer is a 2xx and no `x-degraded` header; else undefined. */
  protected async getJson(path: string, requestId: string | undefined, what: string, context: Record<string, unknown>): Promise<unknown> {
    try {
      const res = await fetch(`${this.#base}${path}`, {
        headers: { accept: 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (!res.ok || res.headers.get('x-degraded')) return undefined;
      return await res.json() as unknown;
    } catch (err) {
      this.#log.debug({ err, ...context }, `no ${what} for the product page`);
      return undefined;
    }
  }
}
