import { ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC } from '@shop/contracts';
import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'item-etl', config, env });
  await registerClients(service.app, 'item-etl', service.config, [ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC]);
  return service;
}
