import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { ConfigError, baseConfig, loadConfig, portConfig, requiredVariables } from './config.ts';
import { kafkaConfig, postgresConfig } from './infra.ts';

const schema = Type.Object({ ...baseConfig, PORT: portConfig(8099), ...postgresConfig, ...kafkaConfig });

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    const cfg = loadConfig('t', schema, { DATABASE_URL: 'postgres://u:p@h:5432/db', KAFKA_BROKERS: 'a:9092,b:9093', PORT: '9000' });
    assert.equal(cfg.PORT, 9000);
    assert.equal(cfg.HOST, '127.0.0.1');
    assert.equal(cfg.LOG_LEVEL, 'info');
    assert.equal(cfg.SHUTDOWN_TIMEOUT_MS, 10_000);
  });

  it('fails fast naming every missing or bad variable', () => {
    assert.throws(
      () => loadConfig('item-crud', schema, { PORT: 'eighty', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'nohostport' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /Invalid configuration for item-crud/);
        assert.match(err.message, /DATABASE_URL is required but not set/);
        assert.match(err.message, /PORT: .*"eighty"/);
        assert.match(err.message, /LOG_LEVEL/);
        assert.match(err.message, /KAFKA_BROKERS/);
        return true;
      },
    );
  });

  it('treats an empty variable as unset', () => {
    assert.throws(() => loadConfig('t', schema, { DATABASE_URL: '', KAFKA_BROKERS: 'a:1' }), /DATABASE_URL is required/);
  });

  it('lists the variables without defaults', () => {
    assert.deepEqual(requiredVariables(schema).sort(), ['DATABASE_URL', 'KAFKA_BROKERS']);
  });
});
