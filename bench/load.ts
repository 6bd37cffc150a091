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

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

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
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    requests: latencies.length, errors, seconds: round(seconds), rps: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)), p90Ms: round(percentile(latencies, 90)), p99Ms: round(percentile(latencies, 99)), statuses,
  };
}
