// The small JSON client that the demo seed, the benchmarks and the end-to-end tests use to talk to
// the storefront API the way a client does.
export interface ApiRequest {
  method?: string;
  /** An access token, sent as `Authorization: Bearer`. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, shaped by each caller's assertions
  body: any;
}

export async function api(base: string, path: string, init: ApiRequest = {}): Promise<ApiResponse> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
