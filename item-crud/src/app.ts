import { ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC } from '@shop/contracts';
import { createService, registerClients } from '@shop/kit';
import { config } from './config.ts';

export async function buildService(env: NodeJS.ProcessEnv = process.env) {
  const service = await createService({ name: 'item-crud', config, env });
  await registerClients(service.app, 'item-crud', service.config, [ITEM_EVENTS_TOPIC, ITEM_EVENTS_DLQ_TOPIC]);
  return service;
}
