import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { baseConfig, portConfig } from './config.ts';
import { HttpProblem, conflict } from './errors.ts';
import { createService, type App } from './service.ts';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let app: App;
let dependencyUp = true;

before(async () => {
  const service = await createService({
    name: 'kit-test',
    config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }),
    env: { BODY_LIMIT_BYTES: '2048', LOG_LEVEL: 'info' },
    logDestination: sink,
  });
  app = service.app;
  app.health.add('fake-dependency', async () => {
    if (!dependencyUp) throw new Error('connection refused');
  });
  app.post('/things/:id', {
    schema: {
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      body: Type.Object({ name: Type.String({ minLength: 1 }), price: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false }),
    },
  }, async (request) => {
    request.log.info({ thing: request.params.id }, 'made a thing');
    return { id: request.params.id, name: request.body.name };
  });
  app.get('/conflict', async () => {
    throw conflict('that name is taken');
  });
  app.get('/boom', async () => {
    throw new Error('secret database password in a stack trace');
  });
  app.get('/teapot', async () => {
    throw new HttpProblem(418, 'short and stout', { title: "I'm a teapot" });
  });
  await app.ready();
});

after(() => app.close());

describe('service kit', () => {
  it('answers validation errors as problem+json with field errors', async () => {
    const res = await app.inject({ method: 'POST', url: '/things/0', payload: { name: '', price: -1, extra: true } });
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    const body = res.json();
    assert.equal(body.type, 'urn:shop:problem:validation');
    assert.equal(body.status, 400);
    assert.ok(Array.isArray(body.errors) && body.errors.length > 0);
  });

  it('reports every body problem, including unknown properties', async () => {
    const res = await app.inject({ method: 'POST', url: '/things/1', payload: { name: '', price: -1, extra: true } });
    const pointers = (res.json().errors as { pointer: string }[]).map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/extra', '/name', '/price']);
  });

  it('renders thrown problems and unknown routes', async () => {
    const c = await app.inject({ url: '/conflict' });
    assert.equal(c.statusCode, 409);
    assert.equal(c.json().detail, 'that name is taken');
    const t = await app.inject({ url: '/teapot' });
    assert.equal(t.statusCode, 418);
    assert.equal(t.json().title, "I'm a teapot");
    const nf = await app.inject({ url: '/nowhere?x=1' });
    assert.equal(nf.statusCode, 404);
    assert.equal(nf.json().detail, 'No route for GET /nowhere');
  });

  it('hides internals of unexpected errors but logs them with the request id', async () => {
    const res = await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-boom-1' } });
    assert.equal(res.statusCode, 500);
    assert.doesNotMatch(res.body, /secret|stack|at /);
    assert.equal(res.json().requestId, 'req-boom-1');
    const logged = lines.find((l) => l.requestId === 'req-boom-1' && l.level === 'error');
    assert.ok(logged, 'the error is logged with its request id');
  });

  it('rejects bodies over the configured limit with 413', async () => {
    const res = await app.inject({ method: 'POST', url: '/things/1', payload: { name: 'x'.repeat(4096), price: 1 } });
    assert.equal(res.statusCode, 413);
    assert.match(res.headers['content-type'] as string, /problem\+json/);
  });

  it('accepts a sane x-request-id, replaces a hostile one, and logs it', async () => {
    const ok = await app.inject({ method: 'POST', url: '/things/7', headers: { 'x-request-id': 'abc-123' }, payload: { name: 'n', price: 1 } });
    assert.equal(ok.headers['x-request-id'], 'abc-123');
    const bad = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'bad id\nwith newline' } });
    assert.match(bad.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    const line = lines.find((l) => l.msg === 'made a thing' && l.requestId === 'abc-123');
    assert.ok(line, 'route log line carries the request id');
    assert.equal(line.service, 'kit-test');
  });

  it('continues an incoming W3C trace and puts its trace id on log lines', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await app.inject({
      method: 'POST', url: '/things/9',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'trace-test' },
      payload: { name: 'n', price: 1 },
    });
    const line = lines.find((l) => l.msg === 'made a thing' && l.requestId === 'trace-test');
    assert.equal(line?.traceId, traceId);
  });

  it('counts requests per route and status in /metrics', async () => {
    await app.inject({ url: '/conflict' });
    const res = await app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /http_requests_total\{method="GET",route="\/conflict",status_code="409",service="kit-test"\} \d+/);
    assert.match(res.body, /http_request_duration_seconds_bucket\{.*route="\/conflict"/);
    assert.match(res.body, /process_cpu_user_seconds_total/);
    assert.match(res.body, /route="unmatched"/);
  });

  it('reports readiness from its dependency checks', async () => {
    dependencyUp = true;
    const up = await app.inject({ url: '/health/ready' });
    assert.equal(up.statusCode, 200);
    assert.equal(up.json().checks['fake-dependency'].status, 'up');
    dependencyUp = false;
    const down = await app.inject({ url: '/health/ready' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().checks['fake-dependency'].error, 'connection refused');
    assert.equal((await app.inject({ url: '/health/live' })).statusCode, 200);
    dependencyUp = true;
  });

  it('serves its OpenAPI document with the routes it declared', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/things/{id}']?.post);
    assert.equal(doc.paths['/metrics'], undefined);
  });
});
