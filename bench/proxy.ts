// The proxy against nginx, and its overhead over calling a service directly, in one run.
//
// Baseline: nginx (Debian's package, /usr/sbin/nginx) started by this script with a generated config
// in a temp dir: one worker, a keep-alive upstream pool to item-crud, access log on, a free loopback
// port. The proxy: its own process on a free port with everything on as in production (token
// verification, Redis-backed rate limiting, tracing, access logs at info), only the rate limit raised
// so that it does not answer 429, and a Redis database of its own (so the bench's traffic does not use
// up the 127.0.0.1 budget of the proxy on 8080). Both forward to the same item-crud (8082), get the
// same requests at the same concurrency from wrk, alternating which goes first in each round.
//
// Needs ./make.sh up, nginx and wrk (apt-get install -y nginx wrk).
// Usage: node bench/proxy.ts [--connections 16] [--seconds 8] [--rounds 2] [--proxy-dir <other checkout>]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';
for (const [bin, what] of [[NGINX, 'nginx'], [WRK, 'wrk']] as const) {
  if (!existsSync(bin)) {
    console.error(`${bin} is missing: this benchmark needs Debian's ${what} (apt-get update && apt-get install -y nginx wrk)`);
    process.exit(1);
  }
}

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '16' }, seconds: { type: 'string', default: '8' }, rounds: { type: 'string', default: '2' },
    // Run the proxy from another checkout (e.g. the commit before a change) for before/after figures.
    'proxy-dir': { type: 'string', default: '.' },
  },
});
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const SSO = 'http://127.0.0.1:8081';
const ITEM_CRUD = 'http://127.0.0.1:8082';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const work = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
const children: ChildProcess[] = [];
// Interrupted: nginx and the bench proxy go with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url: string, what: string, child: ChildProcess): Promise<void> {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} during start-up (logs in ${work})`);
    if (await fetch(url).then((r) => r.status < 500, () => false)) return;
    if (i > 300) throw new Error(`${what} did not start (logs in ${work})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startNginx(): Promise<string> {
  const port = await freePort();
  const conf = join(work, 'nginx.conf');
  writeFileSync(conf, `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log ${work}/nginx-access.log;
  client_body_temp_path ${work}/body; proxy_temp_path ${work}/proxy-temp;
  fastcgi_temp_path ${work}/fastcgi; uwsgi_temp_path ${work}/uwsgi; scgi_temp_path ${work}/scgi;
  upstream item_crud { server ${new URL(ITEM_CRUD).host}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://item_crud;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`);
  const nginx = spawn(NGINX, ['-p', work, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', openSync(join(work, 'nginx-stderr.log'), 'a')] });
  children.push(nginx);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/api/categories`, 'nginx', nginx);
  return url;
}

async function startProxy(): Promise<string> {
  const port = await freePort();
  const log = openSync(join(work, 'proxy.log'), 'a');
  const proxy = spawn(process.execPath, ['proxy/src/main.ts'], {
    cwd: values['proxy-dir'],
    env: {
      ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', RATE_LIMIT_MAX: '1000000000',
      REDIS_URL: `${REDIS_URL.replace(/\/\d*$/, '')}/15`, SSO_URL: SSO, ITEM_CRUD_URL: ITEM_CRUD,
      ITEM_ETL_URL: 'http://127.0.0.1:8083', SEARCH_URL: 'http://127.0.0.1:8084', FACADE_URL: 'http://127.0.0.1:8085',
    },
    stdio: ['ignore', log, log],
  });
  children.push(proxy);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health/live`, 'the bench proxy', proxy);
  return url;
}

interface WrkResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Answers other than 2xx/3xx (expected for the rejected POST), and socket errors. */
  non2xx: number;
  errors: number;
}

const toMs = (value: string): number => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value);
  if (!m) throw new Error(`unreadable wrk latency ${value}`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
};

interface Request {
  path: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
  body?: string;
}

function wrk(base: string, req: Request, durationSeconds: number): WrkResult {
  const args = ['-t1', `-c${connections}`, `-d${durationSeconds}s`, '--latency', '--timeout', '5s'];
  for (const [k, v] of Object.entries(req.headers ?? {})) args.push('-H', `${k}: ${v}`);
  if (req.method === 'POST') {
    const script = join(work, `post-${randomUUID()}.lua`);
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(req.body ?? '')}\nwrk.headers["content-type"] = "application/json"\n`);
    args.push('-s', script);
  }
  args.push(`${base}${req.path}`);
  const run = spawnSync(WRK, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  const out = run.stdout;
  const pick = (re: RegExp) => re.exec(out)?.[1];
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(pick(/(\d+) requests in/)),
    rps: Math.round(Number(pick(/Requests\/sec:\s+([\d.]+)/))),
    p50Ms: toMs(pick(/\s50%\s+(\S+)/)!),
    p90Ms: toMs(pick(/\s90%\s+(\S+)/)!),
    p99Ms: toMs(pick(/\s99%\s+(\S+)/)!),
    non2xx: Number(pick(/Non-2xx or 3xx responses: (\d+)/) ?? 0),
    errors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** One measurement after a 1 s warm-up of the same target. */
function measure(base: string, req: Request): WrkResult {
  wrk(base, req, 1);
  return wrk(base, req, seconds);
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: number[]) => ({ median: round3(median(xs)), min: round3(Math.min(...xs)), max: round3(Math.max(...xs)) });

interface Target {
  base: string;
  req: Request;
}

/** `rounds` pairs of measurements, alternating which of the two goes first. */
function compare(baselineTarget: Target, candidateTarget: Target) {
  const runs: { baseline: WrkResult; candidate: WrkResult; throughputRatio: number; p99Ratio: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    let baseline: WrkResult;
    let candidate: WrkResult;
    if (r % 2 === 0) {
      baseline = measure(baselineTarget.base, baselineTarget.req);
      candidate = measure(candidateTarget.base, candidateTarget.req);
    } else {
      candidate = measure(candidateTarget.base, candidateTarget.req);
      baseline = measure(baselineTarget.base, baselineTarget.req);
    }
    runs.push({ baseline, candidate, throughputRatio: round3(candidate.rps / baseline.rps), p99Ratio: round3(candidate.p99Ms / baseline.p99Ms) });
  }
  return {
    runs,
    throughputRatio: spread(runs.map((r) => r.throughputRatio)),
    p99Ratio: spread(runs.map((r) => r.p99Ratio)),
    p50OverheadMs: spread(runs.map((r) => r.candidate.p50Ms - r.baseline.p50Ms)),
    p99OverheadMs: spread(runs.map((r) => r.candidate.p99Ms - r.baseline.p99Ms)),
  };
}

/** The proxy vs nginx: each run's pair renamed, with the goals checked on the medians. */
function versusNginx(nginx: string, proxy: string, route: string, req: Request) {
  const c = compare({ base: nginx, req }, { base: proxy, req });
  const goals = { throughputRatioAtLeast: 0.6, p99RatioAtMost: 2 };
  return {
    route,
    runs: c.runs.map(({ baseline, candidate, ...ratios }) => ({ nginx: baseline, proxy: candidate, ...ratios })),
    throughputRatio: c.throughputRatio, p99Ratio: c.p99Ratio,
    goals,
    met: c.throughputRatio.median >= goals.throughputRatioAtLeast && c.p99Ratio.median <= goals.p99RatioAtMost,
  };
}

try {
  const [nginx, proxy] = await Promise.all([startNginx(), startProxy()]);
  const email = `bench-${randomUUID()}@example.com`;
  const password = 'benchmark password 1';
  // Signed up and in as a client of its own (an address from the benchmarking range, RFC 2544): the
  // sso throttles sign-ins per address, and 127.0.0.1 is everyone's on this machine.
  const client = `198.18.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
  const post = (path: string, body: unknown) => fetch(`${SSO}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body: JSON.stringify(body),
  });
  await post('/api/auth/register', { email, password, name: 'Bench' });
  const login = await post('/api/auth/login', { email, password });
  const { accessToken } = (await login.json()) as { accessToken?: string };
  if (!login.ok || !accessToken) throw new Error(`could not sign in the bench user: the sso answered ${login.status}`);
  const auth = { authorization: `Bearer ${accessToken}` };
  const me = await fetch(`${proxy}/api/auth/me`, { headers: auth });
  await me.body?.cancel();
  if (me.status !== 200) throw new Error(`the bench user's token does not work through the proxy: GET /api/auth/me answered ${me.status}`);
  // A write that crosses the proxy with its body (token checked, size limit, streamed upstream) and
  // that item-crud refuses without writing anything: a customer may not create items.
  const rejectedWrite: Request = {
    path: '/api/items', method: 'POST', headers: auth,
    body: JSON.stringify({ name: 'Bench item', description: 'never created', brand: 'Bench', category: 'none', price: '10.00', stock: 1 }),
  };
  const probe = await fetch(`${proxy}${rejectedWrite.path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: rejectedWrite.body });
  await probe.body?.cancel();

  const categories = { path: '/api/categories' };
  const results = {
    benchmark: 'proxy-vs-nginx',
    connections, seconds, rounds, proxyDir: values['proxy-dir'],
    generator: 'wrk -t1 (one thread), closed loop; each measurement after a 1 s warm-up',
    upstream: 'item-crud on 8082 for both',
    vsNginx: {
      anonymousRead: versusNginx(nginx, proxy, 'GET /api/categories', categories),
      authenticatedRead: versusNginx(nginx, proxy, 'GET /api/categories with a bearer token (verified by the proxy, passed through by nginx)', { ...categories, headers: auth }),
      write: {
        ...versusNginx(nginx, proxy, `POST /api/items with a customer token and a ${Buffer.byteLength(rejectedWrite.body!)}-byte JSON body`, rejectedWrite),
        upstreamAnswer: probe.status,
      },
    },
    direct: {
      route: 'GET /api/categories: item-crud directly (baseline) vs nginx in front of it (candidate)',
      ...compare({ base: ITEM_CRUD, req: categories }, { base: nginx, req: categories }),
    },
    authenticatedRead: {
      route: 'GET /api/auth/me: the sso directly (baseline) vs through the proxy (candidate)',
      ...compare({ base: SSO, req: { path: '/api/auth/me', headers: auth } }, { base: proxy, req: { path: '/api/auth/me', headers: auth } }),
      goals: { p50OverheadMsBelow: 1, throughputRatioAtLeast: 0.4 },
    },
    tokenCost: {
      route: 'GET /.well-known/jwks.json through the proxy: without (baseline) vs with a bearer token to verify (candidate)',
      ...compare({ base: proxy, req: { path: '/.well-known/jwks.json' } }, { base: proxy, req: { path: '/.well-known/jwks.json', headers: auth } }),
    },
  };
  console.log(JSON.stringify(results, null, 2));
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  rmSync(work, { recursive: true, force: true });
}
