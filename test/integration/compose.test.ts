// docker-compose.yml, the Dockerfile and the compose/local observability configs checked against
// the code: a service's config schema, the design's ports, the kit's metric names, the event
// contracts. No Docker needed: this fails when the files drift from the code.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ITEM_EVENTS_DLQ_TOPIC, ITEM_EVENTS_TOPIC, ORDER_EVENTS_DLQ_TOPIC, ORDER_EVENTS_TOPIC, REVIEW_SUMMARIES_DLQ_TOPIC, REVIEW_SUMMARIES_TOPIC, USER_ACTIVITY_DLQ_TOPIC, USER_ACTIVITY_TOPIC, USER_EVENTS_TOPIC } from '@shop/contracts';
import { Type, baseConfig, createService, loadConfig, portConfig, requiredVariables, type App } from '@shop/kit';
import type { TObject } from '@sinclair/typebox';
import { config as analyticsConfig } from '../../analytics/src/config.ts';
import { config as cartConfig } from '../../cart/src/config.ts';
import { config as commentAnalysisConfig } from '../../comment-analysis/src/config.ts';
import { config as facadeConfig } from '../../facade/src/config.ts';
import { config as itemCrudConfig } from '../../item-crud/src/config.ts';
import { config as itemEtlConfig } from '../../item-etl/src/config.ts';
import { config as lomsConfig } from '../../loms/src/config.ts';
import { config as notifierConfig } from '../../notifier/src/config.ts';
import { config as ordersConfig } from '../../orders/src/config.ts';
import { config as proxyConfig } from '../../proxy/src/config.ts';
import { config as recommendationsConfig } from '../../recommendations/src/config.ts';
import { config as searchConfig } from '../../search/src/config.ts';
import { config as ssoConfig } from '../../sso/src/config.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

// ------------------------------------------------------------------ what the code says

/** DESIGN.md, "Services": folder = compose service name, and its port. */
const SERVICES: Record<string, { port: number; config: TObject }> = {
  proxy: { port: 8080, config: proxyConfig },
  sso: { port: 8081, config: ssoConfig },
  'item-crud': { port: 8082, config: itemCrudConfig },
  'item-etl': { port: 8083, config: itemEtlConfig },
  search: { port: 8084, config: searchConfig },
  facade: { port: 8085, config: facadeConfig },
  cart: { port: 8086, config: cartConfig },
  loms: { port: 8087, config: lomsConfig },
  orders: { port: 8088, config: ordersConfig },
  analytics: { port: 8090, config: analyticsConfig },
  notifier: { port: 8089, config: notifierConfig },
  'comment-analysis': { port: 8092, config: commentAnalysisConfig },
  recommendations: { port: 8091, config: recommendationsConfig },
};
const SERVICE_NAMES = Object.keys(SERVICES);

/** DESIGN.md, "Infrastructure": ports published on the host (container port = host port). */
const INFRA_PORTS: Record<string, number[]> = {
  postgres: [5432],
  redis: [6379],
  kafka: [9092],
  elasticsearch: [9200],
  minio: [9000, 9001],
  prometheus: [9090],
  grafana: [3000],
  kibana: [5601],
  jaeger: [16686],
  mailpit: [8025],
};

/** The same ports as infra/defaults.env gives the local (non-Docker) infrastructure. */
const DEFAULTS_ENV_PORTS: Record<string, [string, number]> = {
  PGPORT: ['postgres', 5432],
  REDIS_PORT: ['redis', 6379],
  KAFKA_PORT: ['kafka', 9092],
  ES_HTTP_PORT: ['elasticsearch', 9200],
  MINIO_PORT: ['minio', 9000],
  MINIO_CONSOLE_PORT: ['minio', 9001],
  PROMETHEUS_PORT: ['prometheus', 9090],
};

/** Which database each Postgres-backed service owns (DESIGN.md). */
const DATABASES: Record<string, string> = { sso: 'sso', 'item-crud': 'shop', 'item-etl': 'shop', loms: 'loms', orders: 'orders', notifier: 'notifier', analytics: 'analytics', 'comment-analysis': 'comment_analysis', recommendations: 'recommendations' };

/** Port each infrastructure container listens on inside the compose network (Kafka: see advertised listeners). */
const INFRA_CONTAINER_PORTS: Record<string, number> = { postgres: 5432, redis: 6379, elasticsearch: 9200, minio: 9000, jaeger: 4318, mailpit: 1025 };

const TOPICS = [ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC, 'comment-events', USER_EVENTS_TOPIC, 'orders', ORDER_EVENTS_TOPIC, ORDER_EVENTS_DLQ_TOPIC, USER_ACTIVITY_TOPIC, USER_ACTIVITY_DLQ_TOPIC, 'comment-events.dlq', REVIEW_SUMMARIES_TOPIC, REVIEW_SUMMARIES_DLQ_TOPIC];

// ------------------------------------------------------------------ reading compose

type Dict = Record<string, unknown>;
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Dict | string[]; target?: string };
  environment?: Dict | string[];
  ports?: (string | number | Dict)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  logging?: { driver?: string; options?: Record<string, string> };
  volumes?: (string | Dict)[];
  command?: string | string[];
  entrypoint?: string | string[];
}
interface Compose {
  services: Record<string, ComposeService>;
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as Compose;
const services = compose.services;
const svc = (name: string): ComposeService => {
  const s = services[name];
  assert.ok(s, `docker-compose.yml has no service "${name}"`);
  return s;
};

/** Compose interpolation with the file's own defaults: `${VAR:-default}`, `${VAR-default}`, `$$`. */
function interpolate(value: string, where: string): string {
  return value.replace(/\$\$|\$\{[A-Za-z_][A-Za-z0-9_]*(?:(:?-)([^}]*))?\}|\$[A-Za-z_][A-Za-z0-9_]*/g, (match, op?: string, def?: string) => {
    if (match === '$$') return '$';
    assert.ok(op !== undefined && def !== undefined, `${where}: ${match} has no default; \`docker compose up\` without an .env file must work`);
    return def;
  });
}

function envOf(name: string): Record<string, string> {
  const raw = svc(name).environment ?? {};
  const entries: [string, string][] = Array.isArray(raw)
    ? raw.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      })
    : Object.entries(raw).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v, `${name}.environment.${k}`)]));
}

interface PortMapping { hostIp?: string; published: number; target: number; protocol: string }
function portsOf(name: string): PortMapping[] {
  return (svc(name).ports ?? []).map((p) => {
    if (typeof p === 'object') {
      return { hostIp: p.host_ip as string | undefined, published: Number(p.published), target: Number(p.target), protocol: String(p.protocol ?? 'tcp') };
    }
    const [spec, protocol = 'tcp'] = interpolate(String(p), `${name}.ports`).split('/') as [string, string?];
    const parts = spec.split(':');
    assert.ok(parts.length >= 2, `${name}: port "${p}" publishes a random host port; give host:container`);
    const target = Number(parts.at(-1));
    const published = Number(parts.at(-2));
    const hostIp = parts.length > 2 ? parts.slice(0, -2).join(':') : undefined;
    assert.ok(Number.isInteger(target) && Number.isInteger(published), `${name}: port "${p}" must be single ports, not ranges`);
    return { hostIp, published, target, protocol };
  });
}

function dependsOn(name: string): Record<string, string | undefined> {
  const d = svc(name).depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((x) => [x, undefined]));
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v?.condition]));
}

function buildOf(name: string): { context: string; dockerfile: string; args: Record<string, string> } {
  const b = svc(name).build;
  assert.ok(b, `${name} must be built from the Dockerfile`);
  if (typeof b === 'string') return { context: b, dockerfile: 'Dockerfile', args: {} };
  const args = Array.isArray(b.args)
    ? Object.fromEntries(b.args.map((a) => [a.split('=')[0], a.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(b.args ?? {}).map(([k, v]) => [k, String(v)]));
  return { context: b.context ?? '.', dockerfile: b.dockerfile ?? 'Dockerfile', args };
}

interface Mount { source: string; target: string; readOnly: boolean }
function mountsOf(name: string): Mount[] {
  return (svc(name).volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: String(v.source), target: String(v.target), readOnly: v.read_only === true };
    const [source = '', target = '', mode = ''] = String(v).split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isOneShot = (name: string) => svc(name).restart === 'no';
const normalizePath = (p: string) => p.replace(/^\.\//, '').replace(/\/$/, '');

/** host:port of a URL or a `host:port` list entry. */
function hostPort(value: string): { host: string; port: number } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const u = new URL(value);
    const defaults: Record<string, number> = { 'http:': 80, 'https:': 443 };
    return { host: u.hostname, port: Number(u.port || defaults[u.protocol]) };
  }
  const [host = '', port = ''] = value.split(':');
  return { host, port: Number(port) };
}

/** Names and ports a service's Kafka clients may use: what the broker advertises. */
function kafkaAdvertised(): string[] {
  const adv = envOf('kafka').KAFKA_ADVERTISED_LISTENERS ?? '';
  return adv.split(',').map((l) => l.replace(/^[A-Z_]+:\/\//, ''));
}

// ------------------------------------------------------------------ the services

describe('docker-compose.yml: the services', () => {
  for (const [name, { port, config }] of Object.entries(SERVICES)) {
    describe(name, () => {
      const env = () => envOf(name);

      it('is built from the Dockerfile at the repo root with SERVICE set to its folder', () => {
        const b = buildOf(name);
        assert.equal(normalizePath(b.context) || '.', '.', `${name}: build context`);
        assert.equal(b.dockerfile, 'Dockerfile');
        assert.equal(b.args.SERVICE, name, `${name}: build arg SERVICE`);
        assert.ok(existsSync(new URL(`${name}/src/main.ts`, ROOT)), `${name}/src/main.ts exists`);
      });

      it('sets every variable its config requires', () => {
        const missing = requiredVariables(config).filter((v) => !(v in env()));
        assert.deepEqual(missing, [], `${name}: required by ${name}/src/config.ts but not set in compose`);
      });

      it('sets no variable its config does not know (a typo)', () => {
        const known = new Set(Object.keys(config.properties));
        const unknown = Object.keys(env()).filter((v) => !known.has(v));
        assert.deepEqual(unknown, [], `${name}: set in compose but not in ${name}/src/config.ts`);
      });

      it('passes its own config validation with the compose values', () => {
        assert.doesNotThrow(() => loadConfig(name, config, env()));
      });

      it('listens on 0.0.0.0 and the design port, published as the same port', () => {
        assert.equal(env().HOST, '0.0.0.0', `${name}: HOST (the 127.0.0.1 default is unreachable from other containers)`);
        assert.equal(Number(env().PORT), port, `${name}: PORT`);
        assert.equal((config.properties.PORT as { default?: number } | undefined)?.default, port, `${name}/src/config.ts PORT default`);
        const mapped = portsOf(name);
        assert.equal(mapped.length, 1, `${name}: exactly one published port`);
        assert.deepEqual({ published: mapped[0]?.published, target: mapped[0]?.target }, { published: port, target: port });
      });

      it('has a health check on its own /health endpoint', () => {
        const hc = svc(name).healthcheck;
        assert.ok(hc && !hc.disable && hc.test, `${name}: healthcheck`);
        const test = asList(hc.test).join(' ');
        assert.match(test, /\/health\/(ready|live)/);
        assert.ok(test.includes('process.env.PORT') || test.includes(String(port)), `${name}: healthcheck probes its PORT`);
      });

      it('exports traces to the compose Jaeger over OTLP/HTTP', () => {
        const otlp = env().OTEL_EXPORTER_OTLP_ENDPOINT;
        assert.ok(otlp, `${name}: OTEL_EXPORTER_OTLP_ENDPOINT`);
        assert.deepEqual(hostPort(otlp), { host: 'jaeger', port: 4318 });
        assert.equal(envOf('jaeger').COLLECTOR_OTLP_ENABLED, 'true');
      });

      it('ships its stdout to Logstash with the gelf logging driver', () => {
        const logging = svc(name).logging;
        assert.equal(logging?.driver, 'gelf', `${name}: logging.driver`);
        const address = logging?.options?.['gelf-address'] ?? '';
        const m = /^udp:\/\/(127\.0\.0\.1|localhost):(\d+)$/.exec(address);
        assert.ok(m, `${name}: gelf-address must be udp://127.0.0.1:<port> (the daemon sends, from the host)`);
        const published = portsOf('logstash').find((p) => p.protocol === 'udp' && p.published === Number(m[2]));
        assert.ok(published, `logstash publishes ${m[2]}/udp`);
      });

      it('points every address at a compose service, on the port that service listens on', () => {
        const e = env();
        const addresses: [string, string][] = [];
        for (const [k, v] of Object.entries(e)) {
          if (k === 'KAFKA_BROKERS') v.split(',').forEach((b) => addresses.push([k, b]));
          else if (k === 'DATABASE_URL' || k === 'MINIO_ENDPOINT' || k.endsWith('_URL')) addresses.push([k, v]);
        }
        for (const [k, v] of addresses) {
          const { host, port: p } = hostPort(v);
          assert.ok(services[host], `${name}.${k}=${v}: "${host}" is not a compose service`);
          if (k === 'KAFKA_BROKERS') {
            assert.ok(kafkaAdvertised().includes(`${host}:${p}`), `${name}.${k}: ${host}:${p} is not a listener the broker advertises (${kafkaAdvertised().join(', ')})`);
          } else if (SERVICES[host]) {
            assert.equal(p, SERVICES[host].port, `${name}.${k}: ${host} listens on ${SERVICES[host].port}`);
          } else {
            assert.equal(p, INFRA_CONTAINER_PORTS[host], `${name}.${k}: ${host} listens on ${INFRA_CONTAINER_PORTS[host]}`);
          }
        }
      });

      it('uses the right database and the infrastructure credentials', () => {
        const e = env();
        if (e.DATABASE_URL) {
          const u = new URL(e.DATABASE_URL);
          assert.equal(u.pathname, `/${DATABASES[name]}`, `${name}: DATABASE_URL database`);
          const pg = envOf('postgres');
          assert.equal(decodeURIComponent(u.username), pg.POSTGRES_USER);
          assert.equal(decodeURIComponent(u.password), pg.POSTGRES_PASSWORD);
        } else {
          assert.equal(DATABASES[name], undefined, `${name} owns database ${DATABASES[name]} but has no DATABASE_URL`);
        }
        if (e.MINIO_ENDPOINT) {
          const minio = envOf('minio');
          assert.equal(e.MINIO_ACCESS_KEY, minio.MINIO_ROOT_USER);
          assert.equal(e.MINIO_SECRET_KEY, minio.MINIO_ROOT_PASSWORD);
          assert.equal(e.MINIO_BUCKET, createdBucket(), `${name}: MINIO_BUCKET is the bucket minio-init creates`);
        }
      });

      it('waits for what it talks to (healthy) and for the one-shots it needs (completed)', () => {
        const deps = dependsOn(name);
        const e = env();
        const needs = new Set<string>();
        for (const [k, v] of Object.entries(e)) {
          if (k === 'OTEL_EXPORTER_OTLP_ENDPOINT' || k === 'HOST') continue;
          if (k === 'KAFKA_BROKERS' || k === 'DATABASE_URL' || k === 'MINIO_ENDPOINT' || (k.endsWith('_URL') && !SERVICES[hostPort(v).host])) {
            needs.add(hostPort(v.split(',')[0] ?? v).host);
          }
        }
        if (e.DATABASE_URL) needs.add('migrate');
        if (e.KAFKA_BROKERS) needs.add('kafka-init');
        if (e.MINIO_ENDPOINT) needs.add('minio-init');
        for (const n of needs) assert.ok(n in deps, `${name} must depend_on ${n}`);
      });
    });
  }
});

// ------------------------------------------------------------------ the whole file

describe('docker-compose.yml: every service', () => {
  it('has no service folder missing', () => {
    for (const name of SERVICE_NAMES) svc(name);
  });

  it('pins every image (a tag with a digit, never latest)', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.image === undefined) {
        assert.ok(s.build, `${name}: neither image nor build`);
        continue;
      }
      const image = interpolate(s.image, `${name}.image`);
      const tag = /:([^/:@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
      assert.ok(tag, `${name}: image ${image} has no tag`);
      assert.notEqual(tag, 'latest', `${name}: image ${image}`);
      assert.match(tag, /\d/, `${name}: image ${image} tag has no version number`);
    }
  });

  it('gives every long-running service a health check; one-shots are restart "no"', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(['no', 'unless-stopped', 'always', 'on-failure'].includes(s.restart ?? ''), `${name}: restart policy set explicitly`);
      if (isOneShot(name)) continue;
      assert.ok(s.healthcheck && !s.healthcheck.disable && asList(s.healthcheck.test).length > 0, `${name}: healthcheck`);
    }
    for (const oneShot of ['migrate', 'kafka-init', 'minio-init']) assert.ok(isOneShot(oneShot), `${oneShot} is a one-shot`);
  });

  it('depends on long-running services only when healthy, on one-shots only when completed', () => {
    for (const name of Object.keys(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(name))) {
        assert.ok(services[dep], `${name} depends on unknown service ${dep}`);
        const expected = isOneShot(dep) ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(condition, expected, `${name}.depends_on.${dep}.condition`);
      }
    }
  });

  it('publishes the infrastructure on the design ports', () => {
    for (const [name, ports] of Object.entries(INFRA_PORTS)) {
      const tcp = portsOf(name).filter((p) => p.protocol === 'tcp');
      for (const port of ports) {
        assert.ok(tcp.some((p) => p.published === port && p.target === port), `${name}: ${port}:${port} published (has ${JSON.stringify(tcp)})`);
      }
    }
  });

  it('uses the same ports as the local infrastructure (infra/defaults.env)', () => {
    const defaults = read('infra/defaults.env');
    for (const [variable, [name, port]] of Object.entries(DEFAULTS_ENV_PORTS)) {
      const m = new RegExp(`\\$\\{${variable}:=(\\d+)\\}`).exec(defaults);
      assert.ok(m, `infra/defaults.env sets ${variable}`);
      assert.equal(Number(m[1]), port, `infra/defaults.env ${variable}`);
      assert.ok(portsOf(name).some((p) => p.published === port), `${name} publishes ${port}`);
    }
  });

  it('binds only to loopback', () => {
    for (const name of Object.keys(services)) {
      for (const p of portsOf(name)) assert.equal(p.hostIp, '127.0.0.1', `${name}: ${p.published} published on ${p.hostIp ?? 'all interfaces'}`);
    }
  });
});

// ------------------------------------------------------------------ infrastructure details

const imageTag = (name: string) => interpolate(svc(name).image ?? '', name).split(':').at(-1) ?? '';
const versionsEnv = (variable: string) => new RegExp(`\\$\\{${variable}:=([^}]+)\\}`).exec(read('infra/versions.env'))?.[1];

function createdBucket(): string {
  const cmd = [...asList(svc('minio-init').entrypoint), ...asList(svc('minio-init').command)].map((c) => interpolate(c, 'minio-init')).join(' ');
  const m = /\bmb\b.*?\s([\w-]+)\/([a-z0-9][a-z0-9.-]+[a-z0-9])\b/.exec(cmd);
  assert.ok(m, `minio-init creates a bucket with mc mb (${cmd})`);
  return m[2] ?? '';
}

describe('docker-compose.yml: infrastructure', () => {
  it('runs Elasticsearch, Kibana and Logstash at one 8.x version, the local Elasticsearch version', () => {
    const es = imageTag('elasticsearch');
    assert.match(svc('elasticsearch').image ?? '', /^docker\.elastic\.co\/elasticsearch\/elasticsearch:/);
    assert.match(es, /^8\.\d+\.\d+$/);
    assert.equal(imageTag('kibana'), es, 'Kibana version = Elasticsearch version');
    assert.equal(imageTag('logstash'), es, 'Logstash version = Elasticsearch version');
    assert.equal(es, versionsEnv('ES_VERSION'), 'compose ES = infra/versions.env ES_VERSION (both analyze text identically)');
  });

  it('runs Mailpit at the local stack\'s version (infra/mailpit.sh builds the same release)', () => {
    assert.equal(imageTag('mailpit'), versionsEnv('MAILPIT_VERSION'));
  });

  it('configures Elasticsearch single-node, security off, 512m heap, Hunspell dictionaries mounted', () => {
    const env = envOf('elasticsearch');
    assert.equal(env['discovery.type'], 'single-node');
    assert.equal(env['xpack.security.enabled'], 'false');
    assert.match(env.ES_JAVA_OPTS ?? '', /-Xms512m/);
    assert.match(env.ES_JAVA_OPTS ?? '', /-Xmx512m/);
    const hunspell = mountsOf('elasticsearch').find((m) => m.target === '/usr/share/elasticsearch/config/hunspell');
    assert.ok(hunspell, 'hunspell directory mounted');
    assert.equal(normalizePath(hunspell.source), '.run/hunspell', 'the directory infra/hunspell.sh ./.run/hunspell fills');
    assert.ok(hunspell.readOnly, 'hunspell mount read-only');
    assert.match(composeText, /infra\/hunspell\.sh \.\/\.run\/hunspell/, 'the compose file tells how to fill it');
  });

  it('runs Kafka 3.9.x (KafkaJS), KRaft, the local Kafka version, reachable from the host on 9092', () => {
    const tag = imageTag('kafka');
    assert.match(svc('kafka').image ?? '', /^apache\/kafka:/);
    assert.match(tag, /^3\.9\.\d+$/);
    assert.equal(tag, versionsEnv('KAFKA_VERSION'));
    const env = envOf('kafka');
    assert.match(env.KAFKA_PROCESS_ROLES ?? '', /broker/);
    assert.match(env.KAFKA_PROCESS_ROLES ?? '', /controller/);
    assert.match(env.CLUSTER_ID ?? '', /^[A-Za-z0-9_-]{22}$/, 'CLUSTER_ID is a base64url UUID');
    assert.ok(kafkaAdvertised().some((a) => /^(127\.0\.0\.1|localhost):9092$/.test(a)), 'advertises 127.0.0.1:9092 for host clients');
    assert.equal(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE, 'false', 'topics come from kafka-init, as locally');
  });

  it('creates the topics of the contracts with kafka-init (same image, idempotent, 3 partitions)', () => {
    assert.equal(svc('kafka-init').image, svc('kafka').image);
    assert.equal(dependsOn('kafka-init').kafka, 'service_healthy');
    const script = [...asList(svc('kafka-init').entrypoint), ...asList(svc('kafka-init').command)].join('\n');
    const created = new Map<string, number>();
    for (const line of script.split('\n').filter((l) => l.includes('kafka-topics.sh'))) {
      assert.match(line, /--create/);
      assert.match(line, /--if-not-exists/);
      const bootstrap = /--bootstrap-server\s+(\S+)/.exec(line)?.[1] ?? '';
      assert.ok(kafkaAdvertised().includes(bootstrap), `kafka-init bootstrap ${bootstrap} is advertised`);
      const topic = /--topic\s+(\S+)/.exec(line)?.[1];
      const partitions = Number(/--partitions\s+(\d+)/.exec(line)?.[1]);
      if (topic) created.set(topic, partitions);
    }
    for (const topic of TOPICS) assert.equal(created.get(topic), 3, `topic ${topic} with 3 partitions`);
    // The local infrastructure creates the same topics (infra/kafka.sh).
    const local = /^TOPICS=\(([^)]*)\)/m.exec(read('infra/kafka.sh'))?.[1]?.trim().split(/\s+/) ?? [];
    assert.deepEqual(new Map(local.map((t) => [t.split(':')[0], Number(t.split(':')[1])])), created, 'same topics as infra/kafka.sh');
  });

  it('creates the Postgres databases shop, sso and notifier', () => {
    const env = envOf('postgres');
    assert.equal(env.POSTGRES_DB, 'shop');
    const init = mountsOf('postgres').find((m) => m.target.startsWith('/docker-entrypoint-initdb.d/'));
    assert.ok(init, 'an init script is mounted');
    assert.equal(normalizePath(init.source), 'infra/compose/postgres-init.sql');
    assert.match(read('infra/compose/postgres-init.sql'), /CREATE DATABASE\s+"?sso"?/i);
    assert.match(read('infra/compose/postgres-init.sql'), /CREATE DATABASE\s+"?notifier"?/i);
    assert.match(asList(svc('postgres').healthcheck?.test).join(' '), /pg_isready.*-h 127\.0\.0\.1/, 'healthy only once TCP is up (after the init scripts)');
  });

  it('creates the MinIO bucket with minio-init and the root credentials', () => {
    assert.match(svc('minio-init').image ?? '', /^minio\/mc:RELEASE\./);
    assert.match(svc('minio').image ?? '', /^minio\/minio:RELEASE\./);
    assert.equal(dependsOn('minio-init').minio, 'service_healthy');
    assert.equal(createdBucket(), 'item-images');
    const alias = /\bmb\b.*?\s([\w-]+)\//.exec([...asList(svc('minio-init').entrypoint), ...asList(svc('minio-init').command)].join(' '))?.[1] ?? '';
    const mcHost = envOf('minio-init')[`MC_HOST_${alias}`];
    assert.ok(mcHost, `minio-init sets MC_HOST_${alias}`);
    const u = new URL(mcHost);
    const minio = envOf('minio');
    assert.deepEqual([u.hostname, Number(u.port), u.username, u.password], ['minio', 9000, minio.MINIO_ROOT_USER, minio.MINIO_ROOT_PASSWORD]);
  });

  it('migrates every database with the app image before the Postgres-backed services start', () => {
    const b = buildOf('migrate');
    assert.equal(normalizePath(b.context) || '.', '.');
    assert.equal(b.dockerfile, 'Dockerfile');
    const cmd = asList(svc('migrate').command).join(' ');
    assert.match(cmd, /npm run -w @shop\/prisma migrate:deploy/);
    assert.ok((JSON.parse(read('prisma/package.json')) as { scripts: Dict }).scripts['migrate:deploy'], 'prisma/package.json has migrate:deploy');
    const env = envOf('migrate');
    assert.equal(new URL(env.DATABASE_URL_SSO ?? '').pathname, '/sso');
    assert.equal(new URL(env.DATABASE_URL_SHOP ?? '').pathname, '/shop');
    assert.equal(new URL(env.DATABASE_URL_NOTIFIER ?? '').pathname, '/notifier');
    assert.equal(new URL(env.DATABASE_URL_ORDERS ?? '').pathname, '/orders');
    assert.equal(new URL(env.DATABASE_URL_ANALYTICS ?? '').pathname, '/analytics');
    assert.equal(new URL(env.DATABASE_URL_COMMENT_ANALYSIS ?? '').pathname, '/comment_analysis');
    assert.equal(new URL(env.DATABASE_URL_RECOMMENDATIONS ?? '').pathname, '/recommendations');
    assert.equal(new URL(env.DATABASE_URL_SSO ?? '').hostname, 'postgres');
    assert.equal(dependsOn('migrate').postgres, 'service_healthy');
  });
});

// ------------------------------------------------------------------ Dockerfile

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n');
  const stage = (name: string) => {
    const start = lines.findIndex((l) => new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'i').test(l));
    assert.ok(start >= 0, `stage ${name}`);
    const end = lines.findIndex((l, i) => i > start && /^FROM\s/i.test(l));
    return lines.slice(start, end < 0 ? undefined : end).join('\n');
  };

  it('builds on the pinned Node 24 LTS slim image', () => {
    assert.match(dockerfile, /node:24\.11-bookworm-slim/);
  });

  it('installs production dependencies from every workspace manifest before copying sources', () => {
    const deps = stage('deps');
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const npmCi = deps.indexOf('npm ci');
    assert.ok(npmCi > 0, 'npm ci in deps');
    assert.match(deps, /npm ci[^\n]*--omit=dev/);
    assert.match(deps.slice(0, npmCi), /COPY package\.json package-lock\.json/);
    for (const ws of workspaces) {
      assert.ok(new RegExp(`COPY ${ws}/package\\.json ${ws}/`).test(deps.slice(0, npmCi)), `deps copies ${ws}/package.json before npm ci`);
    }
    assert.doesNotMatch(deps, /COPY \. \./, 'sources are not copied in deps (layer caching)');
  });

  it('generates the Prisma clients in the build stage', () => {
    const build = stage('build');
    assert.match(build, /PRISMA_QUERY_ENGINE_LIBRARY=\/dev\/null/);
    assert.match(build, /npm run -w @shop\/prisma generate/);
  });

  it('runs one service, chosen by SERVICE, as the non-root node user in production mode', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /ENV NODE_ENV=production/);
    assert.match(runtime, /^ARG SERVICE/m);
    assert.match(runtime, /^ENV SERVICE=\$\{SERVICE\}/m);
    assert.match(runtime, /^CMD \["sh", "-c", "exec node \$\{SERVICE\}\/src\/main\.ts"\]$/m);
  });

  it('health-checks /health/live on PORT, defaulting to the design ports', () => {
    const hc = lines.slice(lines.findIndex((l) => l.startsWith('HEALTHCHECK'))).slice(0, 3).join('\n');
    assert.match(hc, /\/health\/live/);
    assert.match(hc, /process\.env\.PORT/);
    const map = /\{(proxy:\d+[^}]*)\}/.exec(hc)?.[1] ?? '';
    const ports = Object.fromEntries(map.split(',').map((kv) => kv.split(':').map((s) => s.trim().replace(/'/g, ''))).map(([k, v]) => [k, Number(v)]));
    assert.deepEqual(ports, Object.fromEntries(Object.entries(SERVICES).map(([k, v]) => [k, v.port])));
  });

  it('keeps host state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', '.run', '.git', 'prisma/generated']) assert.ok(ignored.includes(entry), `.dockerignore: ${entry}`);
  });
});

// ------------------------------------------------------------------ Prometheus and Grafana

interface ScrapeConfig { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[] }
function scrapeTargets(file: string): Map<string, { path: string }> {
  const cfg = parse(read(file)) as { scrape_configs: ScrapeConfig[] };
  const targets = new Map<string, { path: string }>();
  for (const job of cfg.scrape_configs) {
    for (const sc of job.static_configs ?? []) for (const t of sc.targets) targets.set(t, { path: job.metrics_path ?? '/metrics' });
  }
  return targets;
}

describe('Prometheus', () => {
  it('compose: scrapes every service by compose name on their ports', () => {
    const mount = mountsOf('prometheus').find((m) => m.target === '/etc/prometheus/prometheus.yml');
    assert.ok(mount, 'config mounted at /etc/prometheus/prometheus.yml');
    assert.equal(normalizePath(mount.source), 'infra/compose/prometheus.yml');
    const targets = scrapeTargets('infra/compose/prometheus.yml');
    for (const [name, { port }] of Object.entries(SERVICES)) {
      assert.equal(targets.get(`${name}:${port}`)?.path, '/metrics', `scrapes ${name}:${port}/metrics`);
    }
  });

  it('loads the alert rules in both environments (one file) and scrapes a node exporter for the disk alert', () => {
    for (const file of ['infra/compose/prometheus.yml', 'infra/prometheus.yml']) {
      assert.deepEqual((parse(read(file)) as { rule_files?: string[] }).rule_files, ['alerts.yml'], `${file} loads alerts.yml`);
    }
    const mount = mountsOf('prometheus').find((m) => m.target === '/etc/prometheus/alerts.yml');
    assert.equal(normalizePath(mount?.source ?? ''), 'infra/alerts.yml');
    assert.ok(mount?.readOnly);
    assert.ok(scrapeTargets('infra/compose/prometheus.yml').has('node-exporter:9100'));
    assert.ok(scrapeTargets('infra/prometheus.yml').has('127.0.0.1:@NODE_EXPORTER_PORT@'));
    assert.match(svc('node-exporter').image ?? '', /^prom\/node-exporter:v\d+\.\d+\.\d+$/);
  });

  it('local: infra/prometheus.yml scrapes every service on loopback', () => {
    const targets = scrapeTargets('infra/prometheus.yml');
    for (const [name, { port }] of Object.entries(SERVICES)) {
      assert.equal(targets.get(`127.0.0.1:${port}`)?.path, '/metrics', `scrapes ${name} at 127.0.0.1:${port}/metrics`);
    }
  });
});

/** The metric names a kit-based service really exposes, read from its /metrics. */
let exported: Set<string>;
let kitApp: App;
before(async () => {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const service = await createService({ name: 'compose-test', config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }), env: {}, logDestination: sink });
  kitApp = service.app;
  await kitApp.inject({ method: 'GET', url: '/health/live' });
  const text = (await kitApp.inject({ method: 'GET', url: '/metrics' })).body;
  exported = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => exported.add(name + s));
    else if (type === 'summary') [name, `${name}_sum`, `${name}_count`].forEach((n) => exported.add(n));
    else exported.add(name);
  }
});
after(async () => {
  await kitApp.close();
});

/** Metric names a PromQL expression selects. */
function metricNames(expr: string): string[] {
  const labelValues = /^\s*label_values\(\s*(?:([a-zA-Z_:][\w:]*)\s*(?:\{[^}]*\})?\s*,)?\s*\w+\s*\)\s*$/.exec(expr);
  if (labelValues) return labelValues[1] ? [labelValues[1]] : [];
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const keywords = new Set(['by', 'without', 'offset', 'bool', 'and', 'or', 'unless', 'on', 'ignoring', 'inf', 'nan']);
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || !m[1] || keywords.has(m[1].toLowerCase())) continue; // a function or aggregation, or a keyword
    names.push(m[1]);
  }
  return names;
}

describe('Grafana', () => {
  const provisioning = () => {
    const mount = mountsOf('grafana').find((m) => m.target === '/etc/grafana/provisioning');
    assert.ok(mount, 'provisioning mounted at /etc/grafana/provisioning');
    return normalizePath(mount.source);
  };
  const yamlFiles = (dir: string) =>
    readdirSync(new URL(`${dir}/`, ROOT)).filter((f) => /\.ya?ml$/.test(f)).map((f) => parse(read(`${dir}/${f}`)) as Dict);

  interface Datasource { name: string; uid?: string; type: string; url: string }
  const datasources = () => yamlFiles(`${provisioning()}/datasources`).flatMap((f) => (f.datasources as Datasource[] | undefined) ?? []);

  interface Target { expr?: string; datasource?: { uid?: string } }
  interface Panel { title: string; targets?: Target[]; panels?: Panel[]; datasource?: { uid?: string } }
  interface Dashboard { title: string; uid: string; panels: Panel[]; templating?: { list: { query?: string | { query?: string }; datasource?: { uid?: string } }[] } }
  const dashboards = (): Dashboard[] => {
    const providers = yamlFiles(`${provisioning()}/dashboards`).flatMap((f) => (f.providers as { options: { path: string } }[] | undefined) ?? []);
    assert.ok(providers.length > 0, 'a dashboard provider');
    return providers.flatMap((p) => {
      const mount = mountsOf('grafana').find((m) => m.target === p.options.path.replace(/\/$/, ''));
      assert.ok(mount, `dashboards path ${p.options.path} is mounted`);
      const dir = normalizePath(mount.source);
      return readdirSync(new URL(`${dir}/`, ROOT)).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(read(`${dir}/${f}`)) as Dashboard);
    });
  };
  const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

  it('has a Prometheus datasource pointing at the compose prometheus service', () => {
    const prom = datasources().filter((d) => d.type === 'prometheus');
    assert.equal(prom.length, 1);
    const { host, port } = hostPort(prom[0]?.url ?? '');
    assert.ok(services[host], `${host} is a compose service`);
    assert.equal(host, 'prometheus');
    assert.ok(portsOf('prometheus').some((p) => p.target === port), `prometheus listens on ${port}`);
  });

  it('provisions the "Shop services" dashboard with the required panels', () => {
    const shop = dashboards().find((d) => d.title === 'Shop services');
    assert.ok(shop, 'dashboard "Shop services"');
    const exprs = allPanels(shop.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    const has = (re: RegExp, what: string) => assert.ok(exprs.some((e) => re.test(e)), `a panel with ${what}`);
    has(/rate\(http_requests_total\b[^)]*\)/, 'the request rate');
    assert.ok(exprs.some((e) => /http_requests_total/.test(e) && /by \([^)]*service[^)]*route[^)]*\)|by \([^)]*route[^)]*service[^)]*\)/.test(e)), 'request rate by service and route');
    has(/histogram_quantile\(0\.5,.*http_request_duration_seconds_bucket/, 'p50 latency');
    has(/histogram_quantile\(0\.99,.*http_request_duration_seconds_bucket/, 'p99 latency');
    has(/http_requests_total\{[^}]*status_code=~"5\.\."/, 'the 5xx rate');
    has(/process_resident_memory_bytes/, 'process memory');
  });

  it('queries only metrics the kit exports, through the provisioned datasource', () => {
    const uids = new Set(datasources().map((d) => d.uid));
    for (const d of dashboards()) {
      const queries: string[] = [];
      for (const p of allPanels(d.panels)) {
        if (p.datasource?.uid) assert.ok(uids.has(p.datasource.uid), `${d.title} / ${p.title}: datasource uid ${p.datasource.uid} is provisioned`);
        for (const t of p.targets ?? []) {
          if (t.datasource?.uid) assert.ok(uids.has(t.datasource.uid), `${d.title} / ${p.title}: datasource uid`);
          if (t.expr) queries.push(t.expr);
        }
      }
      // "Shop services" is built on the kit's own series only; the other dashboards (service metrics, SQL) are
      // run against the real Prometheus and PostgreSQL by analytics/test/grafana.test.ts.
      if (d.title !== 'Shop services') continue;
      for (const v of d.templating?.list ?? []) {
        const q = typeof v.query === 'string' ? v.query : v.query?.query;
        if (q) queries.push(q);
      }
      assert.ok(queries.length > 0);
      for (const q of queries) {
        const names = metricNames(q);
        assert.ok(names.length > 0, `no metric found in ${q}`);
        for (const n of names) assert.ok(exported.has(n), `${d.title}: ${n} (in ${q}) is not exported by the kit; it exports ${[...exported].sort().join(', ')}`);
      }
    }
  });

  it('provisions the analytics database through its read-only role, and the "Shop analytics" and "Shop operations" dashboards', () => {
    const pg = datasources().filter((d) => d.type === 'grafana-postgresql-datasource') as (Datasource & { user?: string; jsonData?: { database?: string }; secureJsonData?: { password?: string } })[];
    assert.equal(pg.length, 1);
    const { host, port } = hostPort(`postgres://${pg[0]!.url}`);
    assert.equal(host, 'postgres');
    assert.ok(portsOf('postgres').some((p) => p.target === port));
    assert.equal(pg[0]!.user, 'analytics_reader');
    assert.equal(pg[0]!.jsonData?.database, 'analytics');
    assert.match(read('infra/compose/postgres-init.sql'), /CREATE ROLE analytics_reader LOGIN PASSWORD '([^']+)'/);
    const password = /CREATE ROLE analytics_reader LOGIN PASSWORD '([^']+)'/.exec(read('infra/compose/postgres-init.sql'))![1];
    const variable = /^\$\{?(\w+)\}?$/.exec(pg[0]!.secureJsonData?.password ?? '')?.[1];
    assert.ok(variable, 'the password comes from the environment');
    assert.equal(envOf('grafana')[variable], password, 'Grafana gets the role\'s password');
    assert.equal(dependsOn('grafana').migrate, 'service_completed_successfully');
    const titles = dashboards().map((d) => d.title);
    for (const title of ['Shop analytics', 'Shop operations']) assert.ok(titles.includes(title), title);
  });

  it('recognises metric names in PromQL (self-check of the parser)', () => {
    assert.deepEqual(metricNames('sum by (service, route) (rate(http_requests_total{service=~"$service", status_code=~"5.."}[$__rate_interval]))'), ['http_requests_total']);
    assert.deepEqual(metricNames('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'), ['http_request_duration_seconds_bucket']);
    assert.deepEqual(metricNames('label_values(http_requests_total, service)'), ['http_requests_total']);
    assert.deepEqual(metricNames('max(process_resident_memory_bytes) / on (service) nodejs_heap_size_total_bytes'), ['process_resident_memory_bytes', 'nodejs_heap_size_total_bytes']);
  });
});
