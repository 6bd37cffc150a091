import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { baseConfig, portConfig } from './config.ts';
import { createService } from './service.ts';

describe('graceful shutdown', () => {
  it('finishes in-flight requests, then refuses new ones and closes clients', async () => {
    const { app } = await createService({ name: 'shutdown-test', config: Type.Object({ ...baseConfig, PORT: portConfig(8099) }), env: { LOG_LEVEL: 'silent' } });
    let clientClosed = false;
    app.addHook('onClose', async () => {
      clientClosed = true;
    });
    app.get('/slow', async () => {
      await new Promise((r) => setTimeout(r, 300));
      return { done: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    await new Promise((r) => setTimeout(r, 50));
    const closing = app.close();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { done: true });
    await closing;
    assert.equal(clientClosed, true);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/slow`));
  });
});
