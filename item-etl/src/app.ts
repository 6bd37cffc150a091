import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';
import { etlPlugin } from './plugins/etl.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'item-etl', config, env });
  const { app, config: cfg } = service;
  await registerClients(app, 'item-etl', cfg, [cfg.ITEM_EVENTS_TOPIC, cfg.DLQ_TOPIC]);
  await app.register(etlPlugin, { config: cfg });
  return service;
}
