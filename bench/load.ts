// A small closed-loop load generator: N connections, each sending the next request when the last
// answered. Reports requests/s and latency percentiles. Used by every benchmark under bench/.
import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  warmupMs?: number;
}

/** The p-th percentile of ascending `sorted` (nearest rank). */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
/** Three decimals, for the JSON the benchmarks print. */
export const round = (n: number) => Math.round(n * 1000) / 1000;

export async function load({ url, headers = {}, connections, durationMs, warmupMs = 1_000 }: LoadOptions): Promise<LoadResult> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const path = `${target.pathname}${target.search}`;
  const run = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path, headers });
        await res.body.dump();
        if (record) {
          latencies.push(performance.now() - started);
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        }
      } catch {
        if (record) errors++;
      }
    }
  };
  const warmEnd = performance.now() + warmupMs;
  await Promise.all(Array.from({ length: connections }, () => run(warmEnd, false)));
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(Array.from({ length: connections }, () => run(end, true)));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length, errors, seconds: round(seconds), rps: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)), p90Ms: round(percentile(latencies, 90)), p99Ms: round(percentile(latencies, 99)), statuses,
  };
}

export interface PlannedRequest {
  origin: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface RateOptions {
  /** Requests per second, sent on schedule whether or not earlier ones answered (open loop). */
  rate: number;
  durationMs: number;
  warmupMs?: number;
  /** The n-th request to send (called in order; cycle through a mix). */
  next: (n: number) => PlannedRequest;
}

/**
 * An open-loop generator at a fixed request rate. Latency is measured from each request's scheduled
 * time, so a stall counts against every request it delays (no coordinated omission).
 */
export async function loadAtRate({ rate, durationMs, warmupMs = 1_000, next }: RateOptions): Promise<LoadResult> {
  const pools = new Map<string, Pool>();
  const pool = (origin: string) => {
    let p = pools.get(origin);
    if (!p) pools.set(origin, (p = new Pool(origin, { connections: 64, pipelining: 1 })));
    return p;
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const send = async (scheduled: number, req: PlannedRequest, record: boolean) => {
    try {
      const res = await pool(req.origin).request({ method: req.method ?? 'GET', path: req.path, headers: req.headers, body: req.body });
      await res.body.dump();
      if (!record) return;
      latencies.push(performance.now() - scheduled);
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    } catch {
      if (record) errors++;
    }
  };
  const phase = async (ms: number, record: boolean, offset: number) => {
    const start = performance.now();
    const total = Math.round((ms / 1000) * rate);
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const scheduled = start + (i * 1000) / rate;
      const wait = scheduled - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inflight.push(send(scheduled, next(offset + i), record));
    }
    await Promise.all(inflight);
    return { total, seconds: (performance.now() - start) / 1000 };
  };
  const warm = Math.round((warmupMs / 1000) * rate);
  await phase(warmupMs, false, 0);
  const { seconds } = await phase(durationMs, true, warm);
  await Promise.all([...pools.values()].map((p) => p.close()));
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length, errors, seconds: round(seconds), rps: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)), p90Ms: round(percentile(latencies, 90)), p99Ms: round(percentile(latencies, 99)), statuses,
  };
}
