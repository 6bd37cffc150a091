// The kit's OpenAPI conventions on a service of its own: documented problem statuses, 405 + Allow,
// NUL and lone surrogates refused anywhere in the input, defaults not required, bodies not coerced.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { baseConfig, portConfig } from './config.ts';
import { NON_BLANK_TEXT_PATTERN, findUnsafeText, problems } from './openapi.ts';
import { createService, type App } from './service.ts';

let app: App;
let stored: unknown[] = [];

before(async () => {
  const service = await createService({
    name: 'openapi-test', config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }), env: { LOG_LEVEL: 'silent' },
  });
  app = service.app;
  app.post('/things/:id', {
    schema: {
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      querystring: Type.Object({ page: Type.Integer({ minimum: 1, default: 1 }) }),
      body: Type.Object({
        name: Type.String({ minLength: 1, pattern: NON_BLANK_TEXT_PATTERN }),
        count: Type.Integer(),
        tags: Type.Optional(Type.Record(Type.String(), Type.String())),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ ok: Type.Boolean() }), ...problems([409, 'already there']) },
    },
  }, async (request, reply) => {
    stored.push(request.body);
    return reply.code(201).send({ ok: true });
  });
  app.get('/things/:id', { schema: { params: Type.Object({ id: Type.Integer() }) } }, async () => ({ ok: true }));
  app.get('/things/mine', { schema: {} }, async () => ({ ok: true }));
  await app.ready();
});
after(() => app.close());

const post = (payload: string, url = '/things/1') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

describe('OpenAPI conventions', () => {
  it('documents the problems a route can answer: its own, and 400/404/413/415 derived from it', () => {
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { parameters?: { name: string; required?: boolean }[]; responses: Record<string, { content?: Record<string, unknown> }> }>>; components: { schemas: Record<string, unknown> } };
    const op = doc.paths['/things/{id}']!.post!;
    assert.deepEqual(Object.keys(op.responses).sort(), ['201', '400', '404', '409', '413', '415']);
    assert.deepEqual(Object.keys(op.responses['409']!.content!), ['application/problem+json']);
    assert.ok(doc.components.schemas.Problem, 'the Problem schema is a named component');
    assert.equal(op.parameters?.find((p) => p.name === 'page')?.required, false, 'a parameter with a default is optional');
  });

  it('answers a method the path lacks with 405 and Allow, whatever the body', async () => {
    for (const method of ['PUT', 'TRACE', 'QUERY', 'DELETE'] as const) {
      const res = await app.inject({ method: method as never, url: '/things/7' });
      assert.equal(res.statusCode, 405, `${method}: ${res.body}`);
      assert.equal(res.headers.allow, 'GET, HEAD, POST');
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
    assert.equal((await app.inject({ method: 'PUT', url: '/things/mine' })).headers.allow, 'GET, HEAD', 'a static path is its own resource');
    assert.equal((await app.inject({ method: 'GET', url: '/nothing-here' })).statusCode, 404);
  });

  it('refuses NUL and lone surrogates anywhere in the input with a 400 naming the place, storing nothing', async () => {
    stored = [];
    const cases: [string, string][] = [
      ['{"name":"a\\u0000b","count":1}', '/name'],
      ['{"name":"a\\ud800","count":1}', '/name'],
      ['{"name":"ok","count":1,"tags":{"k":"\\udfff tail"}}', '/tags/k'],
      ['{"name":"ok","count":1,"tags":{"\\u0000":"v"}}', '/tags/\u0000'],
    ];
    for (const [payload, pointer] of cases) {
      const res = await post(payload);
      assert.equal(res.statusCode, 400, payload);
      const problem = res.json<{ errors: { pointer: string }[] }>();
      assert.equal(problem.errors[0]?.pointer, pointer, payload);
    }
    assert.equal((await post('{"name":"ok","count":1}', '/things/1?page=%00')).statusCode, 400, 'NUL in the query');
    assert.deepEqual(stored, []);
    const pair = await post('{"name":"smile \\ud83d\\ude00","count":1}');
    assert.equal(pair.statusCode, 201, 'a surrogate pair is one character and fine');
  });

  it('refuses blank text and does not coerce body types (a null or a string is not an integer)', async () => {
    stored = [];
    assert.equal((await post('{"name":"  \\t ","count":1}')).statusCode, 400);
    assert.equal((await post('{"name":"x","count":null}')).statusCode, 400);
    assert.equal((await post('{"name":"x","count":"5"}')).statusCode, 400);
    assert.deepEqual(stored, []);
    assert.equal((await post('{"name":"x","count":5}', '/things/1?page=2')).statusCode, 201, 'the query is still coerced ("2" → 2)');
  });

  it('finds unsafe text in keys and values, at any depth', () => {
    assert.equal(findUnsafeText({ a: [{ b: 'fine' }, { c: 'x\u0000' }] }), '/a/1/c');
    assert.equal(findUnsafeText({ 'a/b~': '\ud800' }), '/a~1b~0');
    assert.equal(findUnsafeText({ a: 'é😀' }), undefined);
  });
});
