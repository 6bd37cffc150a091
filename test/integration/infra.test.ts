// The infrastructure the project's scripts start is the one the design names.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { Client as Minio } from 'minio';
import pg from 'pg';
import { Redis } from 'ioredis';

const env = process.env;

describe('local infrastructure', () => {
  it('has Kafka topics with their partitions', async () => {
    const admin = new Kafka({ brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['item-events', 'item-events.dlq'] });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      assert.deepEqual(partitions, { 'item-events': 3, 'item-events.dlq': 3 });
    } finally {
      await admin.disconnect();
    }
  });

  it('has the shop and sso databases, migrated', async () => {
    for (const [db, table] of [['shop', 'outbox'], ['sso', 'users']] as const) {
      const url = db === 'shop' ? env.DATABASE_URL_SHOP : env.DATABASE_URL_SSO;
      const client = new pg.Client({ connectionString: url ?? `postgresql://shop:shop@127.0.0.1:5432/${db}` });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
        assert.ok(rows[0]!.n >= 1, `${db} has applied migrations`);
        await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
      } finally {
        await client.end();
      }
    }
    const status = execFileSync('npm', ['run', '--silent', '-w', '@shop/prisma', 'migrate:status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(status, /Database schema is up to date/);
  });

  it('has the MinIO bucket the services need', async () => {
    const url = new URL(env.MINIO_ENDPOINT ?? 'http://127.0.0.1:9000');
    const minio = new Minio({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: env.MINIO_ROOT_USER ?? 'shopminio', secretKey: env.MINIO_ROOT_PASSWORD ?? 'shopminio-secret' });
    assert.equal(await minio.bucketExists(env.MINIO_BUCKET ?? 'item-images'), true);
  });

  it('has Redis with persistence on', async () => {
    const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const [, appendonly] = (await redis.config('GET', 'appendonly')) as [string, string];
      assert.equal(appendonly, 'yes');
    } finally {
      redis.disconnect();
    }
  });

  it('runs Elasticsearch 8', async () => {
    // This build has no `GET /`; the node info carries the version.
    const res = await fetch(`${env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200'}/_nodes/_local?filter_path=nodes.*.version`);
    const info = (await res.json()) as { nodes: Record<string, { version: string }> };
    const versions = Object.values(info.nodes).map((n) => n.version);
    assert.equal(versions.length, 1);
    assert.match(versions[0]!, /^8\./);
  });
});
