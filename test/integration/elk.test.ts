// The log pipeline (elk/) checked against the kit's real log lines and against docker-compose.yml:
// what pino writes is what Logstash decodes and what the index template maps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { parse } from 'yaml';
import { Type, baseConfig, createLogger, createService, initTracing, portConfig, type App } from '@shop/kit';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

type Dict = Record<string, unknown>;
type LogLine = Record<string, unknown>;

const PIPELINE = 'elk/logstash/pipeline/shop.conf';
const pipeline = read(PIPELINE);
/** The pipeline without its comments. */
const config = pipeline.replace(/^\s*#.*$/gm, '');

interface Mapping { type?: string; properties?: Record<string, Mapping> }
interface IndexTemplate { index_patterns: string[]; priority?: number; data_stream?: unknown; template: { mappings: { properties: Record<string, Mapping> } } }
const template = JSON.parse(read('elk/index-template.json')) as IndexTemplate;
const props = template.template.mappings.properties;

interface ComposeService { image?: string; ports?: string[]; volumes?: string[]; environment?: Record<string, string>; depends_on?: Record<string, unknown>; entrypoint?: string[] }
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };

/** `key => "value"` or `key => number` inside the named plugin block of the pipeline. */
function setting(plugin: string, key: string): string | undefined {
  const block = new RegExp(`\\b${plugin}\\s*\\{([\\s\\S]*?)\\n\\s*\\}`).exec(config)?.[1] ?? '';
  return new RegExp(`\\b${key}\\s*=>\\s*(?:"([^"]*)"|(\\[[^\\]]*\\])|([\\w.]+))`).exec(block)?.slice(1).find((v) => v !== undefined);
}

/** Resolves Logstash's `${VAR:default}` with the logstash container's compose environment. */
function logstashValue(value: string): string {
  const env = compose.services.logstash?.environment ?? {};
  return value.replace(/\$\{(\w+)(?::([^}]*))?\}/g, (_m, name: string, def?: string) => env[name] ?? def ?? '');
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** Renders a Logstash sprintf index name such as logs-shop-%{+YYYY.MM.dd} for a date. */
function renderIndex(pattern: string, d: Date): string {
  return pattern.replace(/%\{\+([^}]+)\}/g, (_m, fmt: string) =>
    fmt.replace('YYYY', String(d.getUTCFullYear())).replace('MM', String(d.getUTCMonth() + 1).padStart(2, '0')).replace('dd', String(d.getUTCDate()).padStart(2, '0')));
}

/** The field a mapping path resolves to (`err.type` -> properties.err.properties.type). */
function mapping(path: string): Mapping | undefined {
  let current: Record<string, Mapping> | undefined = props;
  let found: Mapping | undefined;
  for (const part of path.split('.')) {
    found = current?.[part];
    current = found?.properties;
  }
  return found;
}

/** Fields Logstash consumes instead of indexing (the date filter turns `time` into @timestamp). */
const CONSUMED = new Set(['time']);

/** Every path of a log line must be mapped by the template (objects: each of their keys). */
function unmappedPaths(line: LogLine, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(line)) {
    const path = prefix + k;
    if (!prefix && CONSUMED.has(k)) continue;
    const m = mapping(path);
    if (!m) out.push(path);
    else if (m.properties && v && typeof v === 'object') out.push(...unmappedPaths(v as LogLine, `${path}.`));
  }
  return out;
}

/** Top-level fields of every line the kit wrote in these tests. */
const seen = new Set<string>();

function capture(): { lines: LogLine[]; sink: Writable } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) {
        const line = JSON.parse(l) as LogLine;
        Object.keys(line).forEach((k) => seen.add(k));
        lines.push(line);
      }
      done();
    },
  });
  return { lines, sink };
}

describe('index template (elk/index-template.json)', () => {
  it('applies to the index the pipeline writes', () => {
    const index = setting('elasticsearch', 'index');
    assert.equal(index, 'logs-shop-%{+YYYY.MM.dd}');
    const today = renderIndex(index, new Date());
    assert.match(today, /^logs-shop-\d{4}\.\d{2}\.\d{2}$/);
    assert.ok(template.index_patterns.some((p) => globToRegExp(p).test(today)), `${today} matches ${template.index_patterns.join(', ')}`);
    assert.ok(template.index_patterns.includes('logs-shop-*'));
  });

  it('wins over the built-in logs-*-* data stream template (priority 100) and is no data stream', () => {
    assert.ok((template.priority ?? 0) > 100, 'priority > 100, else logs-shop-<date> would become a data stream Logstash cannot index into');
    assert.equal(template.data_stream, undefined);
    assert.equal(setting('elasticsearch', 'data_stream'), 'false');
  });

  it('maps the pino fields', () => {
    assert.equal(mapping('@timestamp')?.type, 'date');
    for (const f of ['service', 'level', 'requestId', 'traceId', 'spanId']) assert.equal(mapping(f)?.type, 'keyword', `${f} is a keyword`);
    assert.equal(mapping('msg')?.type, 'text');
    assert.equal(mapping('err.type')?.type, 'keyword');
    assert.equal(mapping('err.message')?.type, 'text');
    assert.ok(mapping('err.stack'));
  });
});

describe('Logstash pipeline (elk/logstash/pipeline/shop.conf)', () => {
  it('receives GELF on the UDP port the services log to and compose publishes', () => {
    assert.match(config, /input\s*\{\s*gelf\s*\{/);
    const port = Number(setting('gelf', 'port'));
    assert.ok(port > 0);
    const logstash = compose.services.logstash;
    assert.ok(logstash, 'compose service logstash');
    assert.ok((logstash.ports ?? []).some((p) => new RegExp(`:${port}:${port}/udp$`).test(p)), `logstash publishes ${port}/udp`);
    const gelfServices = Object.entries(compose.services).filter(([, s]) => (s as { logging?: { driver?: string } }).logging?.driver === 'gelf');
    assert.ok(gelfServices.length >= 6, 'the six services log with gelf');
    for (const [name, s] of gelfServices) {
      assert.equal((s as { logging: { options: Dict } }).logging.options['gelf-address'], `udp://127.0.0.1:${port}`, `${name}: gelf-address`);
    }
  });

  it('decodes the JSON line and takes @timestamp from pino time', () => {
    assert.equal(setting('json', 'source'), 'message');
    assert.match(config, /date\s*\{[\s\S]*?match\s*=>\s*\[\s*"time"\s*,\s*"ISO8601"\s*\]/);
    assert.equal(setting('date', 'target'), '@timestamp');
    assert.match(config, /rename\s*=>\s*\{\s*"level"\s*=>/, 'GELF level moved away before pino level is decoded');
  });

  it('writes to the compose Elasticsearch and installs the template from the mounted file', () => {
    const hosts = logstashValue(setting('elasticsearch', 'hosts') ?? '');
    assert.match(hosts, /"http:\/\/elasticsearch:9200"/);
    assert.ok(compose.services.elasticsearch);
    assert.equal(setting('elasticsearch', 'manage_template'), 'true');
    assert.equal(setting('elasticsearch', 'template_api'), 'composable');
    const path = setting('elasticsearch', 'template');
    const volumes = compose.services.logstash?.volumes ?? [];
    assert.ok(volumes.some((v) => v === `./elk/index-template.json:${path}:ro`), `compose mounts elk/index-template.json at ${path}`);
    assert.ok(volumes.some((v) => v === './elk/logstash/pipeline:/usr/share/logstash/pipeline:ro'), 'compose mounts the pipeline directory');
    assert.match(compose.services.logstash?.image ?? '', /^docker\.elastic\.co\/logstash\/logstash:8\./);
  });
});

describe('Kibana saved objects (elk/kibana/saved-objects.ndjson)', () => {
  const objects = read('elk/kibana/saved-objects.ndjson').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; id: string; attributes: Dict });

  it('has a logs-shop-* data view with @timestamp as time field', () => {
    const view = objects.find((o) => o.type === 'index-pattern');
    assert.ok(view, 'a data view (index-pattern)');
    assert.ok(template.index_patterns.includes(String(view.attributes.title)), 'data view title = template pattern');
    assert.equal(view.attributes.timeFieldName, '@timestamp');
    assert.equal(mapping('@timestamp')?.type, 'date');
  });

  const byId = new Map(objects.map((o) => [`${o.type}:${o.id}`, o]));
  const searchSource = (o: { attributes: Dict }) => JSON.parse(String((o.attributes.kibanaSavedObjectMeta as Dict).searchSourceJSON)) as { query: { query: string; language: string }; indexRefName?: string };
  /** The fields a KQL query names (`field:value`, `field:(a or b)`). */
  const kqlFields = (query: string) => [...query.matchAll(/([\w@.]+)\s*:/g)].map((m) => m[1]!);

  it('has a saved search for errors and a dashboard, every field they name mapped by the template and every reference resolved', () => {
    const errors = objects.find((o) => o.type === 'search' && o.id === 'shop-errors');
    assert.ok(errors, 'a saved search shop-errors');
    assert.match(searchSource(errors).query.query, /level:\(error or fatal\)/);
    const dashboard = objects.find((o) => o.type === 'dashboard');
    assert.ok(dashboard, 'a dashboard');
    const panels = JSON.parse(String(dashboard.attributes.panelsJSON)) as { panelRefName: string; type: string }[];
    assert.ok(panels.some((p) => p.type === 'search'), 'the errors search is on the dashboard');
    for (const o of objects) {
      const refs = (o as unknown as { references: { name: string; type: string; id: string }[] }).references;
      for (const r of refs) assert.ok(byId.has(`${r.type}:${r.id}`), `${o.id}: reference ${r.name} -> ${r.type}:${r.id} exists`);
      if (o.type === 'dashboard') for (const p of panels) assert.ok(refs.some((r) => r.name === p.panelRefName), `${o.id}: panel ${p.panelRefName} referenced`);
      if (o.type === 'search' || o.type === 'visualization') {
        const src = searchSource(o);
        assert.ok(refs.some((r) => r.name === src.indexRefName && r.id === 'logs-shop'), `${o.id}: on the logs-shop data view`);
        const fields = [...kqlFields(src.query.query), ...(o.type === 'search' ? (o.attributes.columns as string[]) : [])];
        if (o.type === 'visualization') {
          const aggs = (JSON.parse(String(o.attributes.visState)) as { aggs: { params: { field?: string } }[] }).aggs;
          fields.push(...aggs.map((a) => a.params.field).filter((f): f is string => Boolean(f)));
        }
        for (const field of fields) assert.ok(mapping(field), `${o.id}: ${field} is mapped by elk/index-template.json`);
        for (const field of fields.filter((f) => f !== 'msg' && f !== 'err.message')) {
          assert.ok(['keyword', 'date', 'integer', 'long'].includes(mapping(field)!.type ?? ''), `${o.id}: ${field} is aggregatable/sortable`);
        }
      }
    }
  });

  it('is imported into the compose Kibana by kibana-init', () => {
    const init = compose.services['kibana-init'];
    assert.ok(init);
    assert.equal(init.image, compose.services.kibana?.image);
    const mount = (init.volumes ?? []).find((v) => v.startsWith('./elk/kibana/saved-objects.ndjson:'));
    assert.ok(mount, 'saved objects mounted');
    const inContainer = mount.split(':')[1];
    const cmd = (init.entrypoint ?? []).join(' ');
    assert.match(cmd, /http:\/\/kibana:5601\/api\/saved_objects\/_import/);
    assert.ok(cmd.includes(`file=@${inContainer}`));
  });
});

describe('kit log lines', () => {
  let tracingReady = false;
  before(() => {
    initTracing('elk-test');
    tracingReady = true;
  });

  it('a request-scoped line: level label, ISO time, service, requestId, msg and nothing else', () => {
    const { lines, sink } = capture();
    createLogger('search', 'info', sink).child({ requestId: 'req-123' }).info('hello');
    assert.equal(lines.length, 1);
    const line = lines[0] ?? {};
    assert.deepEqual(Object.keys(line).sort(), ['level', 'msg', 'requestId', 'service', 'time']);
    assert.equal(line.level, 'info');
    assert.equal(line.service, 'search');
    assert.equal(line.requestId, 'req-123');
    assert.match(String(line.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'ISO8601, what the date filter parses');
    assert.deepEqual(unmappedPaths(line), []);
  });

  it('every level is written as its label (the template maps level as keyword)', () => {
    const { lines, sink } = capture();
    const log = createLogger('sso', 'trace', sink);
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    assert.deepEqual(lines.map((l) => l.level), ['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
  });

  it('inside a span: traceId and spanId', () => {
    assert.ok(tracingReady);
    const { lines, sink } = capture();
    const log = createLogger('item-etl', 'info', sink);
    trace.getTracer('elk-test').startActiveSpan('work', (span) => {
      log.info('in a span');
      span.end();
    });
    const line = lines[0] ?? {};
    assert.match(String(line.traceId), /^[0-9a-f]{32}$/);
    assert.match(String(line.spanId), /^[0-9a-f]{16}$/);
    assert.deepEqual(unmappedPaths(line), []);
  });

  it('an error: err with type, message, stack', () => {
    const { lines, sink } = capture();
    createLogger('item-crud', 'info', sink).error({ err: new TypeError('boom') }, 'failed');
    const line = lines[0] ?? {};
    const err = line.err as Dict;
    assert.deepEqual(Object.keys(err).sort(), ['message', 'stack', 'type']);
    assert.equal(err.type, 'TypeError');
    assert.equal(line.level, 'error');
    assert.deepEqual(unmappedPaths(line), []);
  });

  describe('a service built with the kit (request logs)', () => {
    const { lines, sink } = capture();
    let app: App;
    before(async () => {
      const service = await createService({ name: 'facade', config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }), env: {}, logDestination: sink });
      app = service.app;
      app.get('/boom', async () => {
        throw new Error('kaput');
      });
    });
    after(async () => {
      await app.close();
    });

    it('writes only fields the template maps, with requestId, traceId and spanId on every request line', async () => {
      await app.inject({ method: 'GET', url: '/openapi.json', headers: { 'x-request-id': 'rid-1' } });
      await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'rid-2' } });
      const requestLines = lines.filter((l) => l.requestId === 'rid-1' || l.requestId === 'rid-2');
      assert.ok(requestLines.length >= 3, 'incoming/completed lines and the error');
      for (const line of requestLines) {
        assert.equal(line.service, 'facade');
        assert.equal(typeof line.level, 'string');
        assert.match(String(line.traceId), /^[0-9a-f]{32}$/);
        assert.match(String(line.spanId), /^[0-9a-f]{16}$/);
        assert.deepEqual(unmappedPaths(line), [], `unmapped in ${JSON.stringify(line)}`);
      }
      assert.ok(requestLines.some((l) => l.err && l.requestId === 'rid-2'), 'the 500 is logged with err');
      for (const line of lines) assert.deepEqual(unmappedPaths(line), [], `unmapped in ${JSON.stringify(line)}`);
    });
  });

  it('maps no pino field the kit never writes (none left over from a rename)', () => {
    // Fields added by Docker's GELF driver or Logstash, not by pino.
    const shipping = new Set(['@timestamp', 'message', 'container_name', 'container_id', 'image_name', 'tag', 'host', 'source_host']);
    const kitMapped = Object.keys(props).filter((f) => !shipping.has(f));
    assert.deepEqual(kitMapped.filter((f) => !seen.has(f)), [], 'mapped by the template but in no line the kit wrote above');
    assert.ok(seen.has('time'), 'pino time, which the date filter consumes');
  });
});
